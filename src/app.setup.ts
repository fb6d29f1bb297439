import { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigType } from '@nestjs/config';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { appConfig } from './config/app.config';
import { realtimeConfig } from './config/realtime.config';
import { Clock } from './common/clock/clock';
import { ListSocketAdapter } from './realtime/list-socket.adapter';
import { Handshake, RealtimeHandshake } from './realtime/realtime-handshake';
import { assignRequestId } from './common/logging/logging.module';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { createValidationPipe } from './common/http/validation.pipe';
import { ErrorBody } from './common/http/error-body';
import { strictJsonBody } from './common/http/json-body';
import { answerUnreadableRequests } from './common/http/client-errors';
import { installMetrics } from './metrics/metrics.endpoint';
import { serveAsyncApi } from './realtime/asyncapi.endpoint';
import { helmetOptions, serveWebClient } from './web/web-client';

export function buildOpenApiDocument(app: NestExpressApplication) {
  const config = new DocumentBuilder()
    .setTitle('CartSync API')
    .setDescription('Collaborative grocery lists, live. Errors always have the ErrorBody shape.')
    .setVersion('1.0')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorBody] });
}

function listSocketAdapter(app: NestExpressApplication): ListSocketAdapter {
  const realtime = app.get<ConfigType<typeof realtimeConfig>>(realtimeConfig.KEY);
  const clock = app.get(Clock);
  const handshake = app.get(RealtimeHandshake);
  return new ListSocketAdapter(app, {
    check: (request, params) => handshake.check(request, params),
    abandoned: (admitted) => handshake.abandoned(admitted as Handshake),
    maxPayload: realtime.maxPayloadBytes,
    messagesPerSecond: realtime.messagesPerSecond,
    now: () => clock.now().getTime(),
  });
}

/** Everything main.ts and the e2e tests share: the app as it serves. */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // No ETag on API answers: Express hashed every body (SHA-1) for a header no client of ours
  // revalidates with (the app and the web client sync over the socket). The web client's own
  // files keep theirs (serve-static).
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(assignRequestId);
  installMetrics(app);
  app.use(helmet(helmetOptions(config.isProduction)));
  serveWebClient(app);
  app.enableCors({
    origin: (origin, done) => done(null, origin === undefined || config.corsOrigins.includes(origin)),
    exposedHeaders: ['X-Request-ID'],
    maxAge: 600,
  });
  const errors = new AllExceptionsFilter();
  // JSON bodies are read as bytes (BODY_LIMIT, 413 beyond) and parsed by strictJsonBody:
  // no prototype keys, duplicate keys, absurd nesting, NUL or unpaired surrogates.
  app.useBodyParser('raw', { type: 'application/json', limit: config.bodyLimit });
  app.use(strictJsonBody);
  app.use(errors.bodyParserErrors);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(errors);
  answerUnreadableRequests(app.getHttpServer());
  app.useWebSocketAdapter(listSocketAdapter(app));
  if (config.swaggerEnabled) {
    SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
    serveAsyncApi(app);
  }
}
