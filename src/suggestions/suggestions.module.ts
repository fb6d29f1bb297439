import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ItemsModule } from '../items/items.module';
import { SuggestionsController } from './suggestions.controller';
import { SuggestionsRepository } from './suggestions.repository';
import { SuggestionsService } from './suggestions.service';

@Module({
  imports: [AccessModule, ItemsModule],
  controllers: [SuggestionsController],
  providers: [SuggestionsRepository, SuggestionsService],
  exports: [SuggestionsService],
})
export class SuggestionsModule {}
