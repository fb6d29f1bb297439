import { UnauthorizedException } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Application, Request, Response } from 'express';
import { AllExceptionsFilter } from '../common/http/all-exceptions.filter';
import { requestId } from '../common/logging/logging.module';
import { ObservabilityConfig, observabilityConfig } from '../config/observability.config';
import { bearerTokenMatcher } from './metrics-token';
import { Metrics } from './metrics';

export const METRICS_PATH = '/metrics';

/**
 * Times every request, and serves `GET /metrics` (Prometheus text format) to
 * `Authorization: Bearer <METRICS_TOKEN>` only; without METRICS_TOKEN the path is not served at
 * all (the usual 404). It is an operator's endpoint, not part of the API: mounted on Express
 * directly, outside the OpenAPI document, the JWT guard and the throttles.
 */
export function installMetrics(app: NestExpressApplication): void {
  const metrics = app.get(Metrics);
  app.use(metrics.timeRequests);
  const { metricsToken } = app.get<ObservabilityConfig>(observabilityConfig.KEY);
  if (metricsToken === null) return;
  const authorized = bearerTokenMatcher(metricsToken);
  const errors = new AllExceptionsFilter();
  const refuse = (req: Request, res: Response, error: unknown) => {
    const body = errors.toBody(error, requestId(req, res));
    if (body.statusCode === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(body.statusCode).json(body);
  };
  const express = app.getHttpAdapter().getInstance() as Application;
  express.get(METRICS_PATH, (req: Request, res: Response) => {
    if (!authorized(req.headers.authorization)) {
      refuse(req, res, new UnauthorizedException('Metrics need Authorization: Bearer <METRICS_TOKEN>.'));
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => res.setHeader('Cache-Control', 'no-store').type(contentType).send(body),
      (error: unknown) => refuse(req, res, error),
    );
  });
}
