import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { AuthUser } from '../common/decorators/current-user.decorator';
import { ListAccess } from '../access/list-access.service';
import { productKey } from '../common/product-key';
import { learningConfig } from '../config/learning.config';
import { ItemsRepository } from '../items/items.repository';
import { SuggestionResponse } from './dto/suggestion.response';
import { suggestFrom } from './repurchase';
import { SuggestionsRepository } from './suggestions.repository';

const LIMIT = 20;

@Injectable()
export class SuggestionsService {
  constructor(
    private readonly suggestions: SuggestionsRepository,
    private readonly items: ItemsRepository,
    private readonly access: ListAccess,
    private readonly clock: Clock,
    @Inject(learningConfig.KEY) private readonly config: ConfigType<typeof learningConfig>,
  ) {}

  /**
   * Products bought before and not on the list, the most due first. Reads a bounded summary
   * (SUGGESTION_HISTORY_DAYS, SUGGESTION_HISTORY_TRIPS, SUGGESTION_PRODUCTS), aggregated per
   * product by PostgreSQL: the work does not grow with the list's trips.
   */
  async forList(user: AuthUser, listId: string): Promise<SuggestionResponse[]> {
    await this.access.requireMember(user.id, listId);
    const now = this.clock.now();
    const { historyDays, historyTrips, maxProducts } = this.config.suggestions;
    const [history, names] = await Promise.all([
      this.suggestions.history(listId, now, { days: historyDays, trips: historyTrips, products: maxProducts }),
      this.items.namesInList(listId),
    ]);
    return suggestFrom(history, new Set(names.map(productKey)), now, LIMIT).map((s) => ({
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
