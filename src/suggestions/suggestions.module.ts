import { Module } from '@nestjs/common';
import { ListsModule } from '../lists/lists.module';
import { SuggestionsController } from './suggestions.controller';
import { SuggestionsRepository } from './suggestions.repository';
import { SuggestionsService } from './suggestions.service';

@Module({
  imports: [ListsModule],
  controllers: [SuggestionsController],
  providers: [SuggestionsRepository, SuggestionsService],
})
export class SuggestionsModule {}
