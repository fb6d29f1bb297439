import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { ListAccess } from '../access/list-access.service';
import { productKey } from '../common/product-key';
import { ItemsRepository } from '../items/items.repository';
import { SuggestionResponse } from './dto/suggestion.response';
import { suggest } from './repurchase';
import { SuggestionsRepository } from './suggestions.repository';

const LIMIT = 20;

@Injectable()
export class SuggestionsService {
  constructor(
    private readonly suggestions: SuggestionsRepository,
    private readonly items: ItemsRepository,
    private readonly access: ListAccess,
    private readonly clock: Clock,
  ) {}

  /** Products bought before and not on the list, the most due first. */
  async forList(user: AuthUser, listId: string): Promise<SuggestionResponse[]> {
    await this.access.requireMember(user.id, listId);
    const now = this.clock.now();
    const [purchases, names] = await Promise.all([
      this.suggestions.purchases(listId, now),
      this.items.namesInList(listId),
    ]);
    return suggest(purchases, new Set(names.map(productKey)), now, LIMIT).map((s) => ({
      name: s.name,
      unit: s.unit,
      frequencyLabel: s.frequencyLabel,
      reason: s.reason,
      lastBoughtAt: s.lastBoughtAt.toISOString(),
      intervalDays: s.intervalDays,
      timesBought: s.timesBought,
      score: Math.round(s.score * 1000) / 1000,
    }));
  }
}
