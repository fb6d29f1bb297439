import { Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { MetricsEndpoint } from './metrics.endpoint';

/**
 * The Prometheus metrics (`Metrics`), imported by the modules whose code counts something
 * (realtime, throttles) and by AppModule; `MetricsEndpoint` serves them, `installMetrics`
 * times the requests. One instance per app.
 */
@Module({ providers: [Metrics, MetricsEndpoint], exports: [Metrics] })
export class MetricsModule {}
