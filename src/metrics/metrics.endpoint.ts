import { Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Application, Request, Response } from 'express';
import { AllExceptionsFilter } from '../common/http/all-exceptions.filter';
import { requestId } from '../common/logging/logging.module';
import { ObservabilityConfig, observabilityConfig } from '../config/observability.config';
import { bearerTokenMatcher } from './metrics-token';
import { Metrics } from './metrics';

export const METRICS_PATH = '/metrics';

/** Times every request (first of all middleware, so every answer is counted). */
export function installMetrics(app: NestExpressApplication): void {
  app.use(app.get(Metrics).timeRequests);
}

/**
 * Serves `GET /metrics` (Prometheus text format) to `Authorization: Bearer <METRICS_TOKEN>`
 * only; without METRICS_TOKEN the path is not served at all (the usual 404). An operator's
 * endpoint, not part of the API: outside the OpenAPI document, the JWT guard and the throttles.
 * Mounted on Express when the modules initialise: after Nest's middleware (each request is
 * logged like any other) and routes, before its not-found handler. No HTTP server (the import
 * command): nothing to mount.
 */
@Injectable()
export class MetricsEndpoint implements OnModuleInit {
  private readonly errors = new AllExceptionsFilter();

  constructor(
    private readonly metrics: Metrics,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(observabilityConfig.KEY) private readonly config: ObservabilityConfig,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter || this.config.metricsToken === null) return;
    const authorized = bearerTokenMatcher(this.config.metricsToken);
    const express = adapter.getInstance<Application>();
    express.get(METRICS_PATH, (req: Request, res: Response) => {
      if (!authorized(req.headers.authorization)) {
        this.refuse(req, res, new UnauthorizedException('Metrics need Authorization: Bearer <METRICS_TOKEN>.'));
        return;
      }
      this.metrics.scrape().then(
        ({ contentType, body }) => res.setHeader('Cache-Control', 'no-store').type(contentType).send(body),
        (error: unknown) => this.refuse(req, res, error),
      );
    });
  }

  private refuse(req: Request, res: Response, error: unknown): void {
    const body = this.errors.toBody(error, requestId(req, res));
    if (body.statusCode === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(body.statusCode).json(body);
  }
}
