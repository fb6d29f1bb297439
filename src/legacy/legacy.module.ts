import { Module } from '@nestjs/common';
import { ListsModule } from '../lists/lists.module';
import { StoresModule } from '../stores/stores.module';
import { TripsModule } from '../trips/trips.module';
import { LegacyImporter } from './legacy-importer';

/** `npm run import:legacy`: the old server's households, written through our lists, stores and trips. */
@Module({
  imports: [ListsModule, StoresModule, TripsModule],
  providers: [LegacyImporter],
  exports: [LegacyImporter],
})
export class LegacyModule {}
