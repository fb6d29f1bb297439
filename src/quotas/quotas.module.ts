import { Module } from '@nestjs/common';
import { QuotasRepository } from './quotas.repository';
import { Quotas } from './quotas.service';

/** Below every feature, beside access: "is there room for one more?" */
@Module({ providers: [Quotas, QuotasRepository], exports: [Quotas] })
export class QuotasModule {}
