import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { Throttles } from './throttles';

@Module({ imports: [MetricsModule], providers: [Throttles], exports: [Throttles] })
export class ThrottlesModule {}
