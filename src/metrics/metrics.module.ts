import { Module } from '@nestjs/common';
import { Metrics } from './metrics';

/**
 * The Prometheus metrics (`Metrics`), imported by the modules whose code counts something
 * (realtime, throttles) and by AppModule, which serves them (`installMetrics`). One instance
 * per app.
 */
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
