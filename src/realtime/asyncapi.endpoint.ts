import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Application, Request, Response } from 'express';
import { AllExceptionsFilter } from '../common/http/all-exceptions.filter';
import { requestId } from '../common/logging/logging.module';
import { AppConfig, appConfig } from '../config/app.config';
import { ASYNCAPI_EXTRA_MODELS, buildAsyncApiDocument, JsonSchema } from './asyncapi';

export const ASYNCAPI_PATH = '/docs-asyncapi';

/**
 * Serves the AsyncAPI document of the WebSocket protocol beside `/docs-json` (only where
 * Swagger is enabled). Built on the first request, from the same DTO metadata the OpenAPI
 * document is built from, then kept.
 */
export function serveAsyncApi(app: NestExpressApplication): void {
  const { publicUrl } = app.get<AppConfig>(appConfig.KEY);
  const errors = new AllExceptionsFilter();
  let document: JsonSchema | undefined;
  const build = () => {
    const scanned = SwaggerModule.createDocument(app, new DocumentBuilder().build(), {
      extraModels: ASYNCAPI_EXTRA_MODELS,
    });
    return buildAsyncApiDocument(scanned.components?.schemas ?? {}, publicUrl);
  };
  const express = app.getHttpAdapter().getInstance() as Application;
  express.get(ASYNCAPI_PATH, (req: Request, res: Response) => {
    try {
      document ??= build();
      res.json(document);
    } catch (error) {
      const body = errors.toBody(error, requestId(req, res));
      res.status(body.statusCode).json(body);
    }
  });
}
