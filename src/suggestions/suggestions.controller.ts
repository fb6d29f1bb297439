import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiAuth, ApiErrors } from '../common/http/api-errors.decorator';
import { UuidParam } from '../common/http/uuid-param.pipe';
import { SuggestionResponse } from './dto/suggestion.response';
import { SuggestionsService } from './suggestions.service';

@ApiTags('suggestions')
@ApiAuth()
@Controller('lists/:listId/suggestions')
export class SuggestionsController {
  constructor(private readonly suggestions: SuggestionsService) {}

  @Get()
  @ApiOkResponse({ type: [SuggestionResponse] })
  @ApiErrors(400, 404)
  list(
    @CurrentUser() user: AuthUser,
    @Param('listId', UuidParam('listId')) listId: string,
  ): Promise<SuggestionResponse[]> {
    return this.suggestions.forList(user, listId);
  }
}
