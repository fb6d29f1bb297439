import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MulterModule } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { tripsConfig } from '../config/trips.config';
import { AccessModule } from '../access/access.module';
import { Clock } from '../common/clock/clock';
import { ItemsModule } from '../items/items.module';
import { QuotasModule } from '../quotas/quotas.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { StoresModule } from '../stores/stores.module';
import { HeicDecoder } from './heic-decoder';
import { ReceiptProcessor } from './receipt-processor';
import { ReceiptFilesRepository } from './receipt-files.repository';
import { PostgresReceiptStorage, ReceiptStorage } from './receipt-storage';
import { S3ReceiptStorage, s3Client } from './s3-receipt-storage';
import { ReceiptUrls } from './receipt-urls';
import { ReceiptsController } from './receipts.controller';
import { TripsController } from './trips.controller';
import { TripsRepository } from './trips.repository';
import { TripsService } from './trips.service';

@Module({
  imports: [
    AccessModule,
    ItemsModule,
    StoresModule,
    QuotasModule,
    RealtimeModule,
    MulterModule.registerAsync({
      inject: [tripsConfig.KEY],
      // In memory, bounded: a file over the limit is refused (413) before anything is written.
      useFactory: (config: ConfigType<typeof tripsConfig>) => ({
        storage: memoryStorage(),
        limits: { fileSize: config.maxReceiptBytes, files: 1, fields: 5, parts: 6 },
      }),
    }),
  ],
  controllers: [TripsController, ReceiptsController],
  providers: [
    TripsRepository,
    TripsService,
    ReceiptProcessor,
    HeicDecoder,
    ReceiptUrls,
    ReceiptFilesRepository,
    {
      provide: ReceiptStorage,
      inject: [tripsConfig.KEY, ReceiptFilesRepository, Clock],
      useFactory: (config: ConfigType<typeof tripsConfig>, files: ReceiptFilesRepository, clock: Clock) =>
        config.s3
          ? new S3ReceiptStorage(files, clock, s3Client(config.s3), config.s3)
          : new PostgresReceiptStorage(files, clock),
    },
  ],
  exports: [TripsService, TripsRepository],
})
export class TripsModule {}
