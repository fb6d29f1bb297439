import { LoggerService, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger, LoggerModule, Params, PinoLogger } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
import { AppConfig, appConfig } from '../../config/app.config';
import { Env } from '../../config/env';
import { LogFormat, ObservabilityConfig, observabilityConfig } from '../../config/observability.config';
import { logFormat } from './log-format';
import { prettyStream } from './pretty';
import { redactError, redactUrl } from './redact';

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** Accept the caller's X-Request-ID when it is safe to log, otherwise make one; echo it back. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const offered = req.headers['x-request-id'];
  const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
  res.setHeader('X-Request-ID', id);
  req.id = id;
  return id;
}

/** Runs first, so even answers given before routing (body-parser errors) carry the id. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  requestId(req, res);
  next();
}

/**
 * Where log lines go: stdout, written asynchronously (sonic-boom, `sync: false`). pino's default
 * writes every line synchronously (`writev` on fd 1 was the top function of the CPU profile of
 * `GET /lists/:id` under load): now the request path only appends to a buffer, flushed in the
 * background as fast as the pipe takes it (lines arriving meanwhile go out together), and
 * synchronously at exit (pino registers that for async destinations). A replaced
 * `process.stdout.write` (a test capturing output) gets the lines, as pino itself decides.
 * `pretty`: through pino-pretty first (readable lines, coloured on a terminal). One stream per
 * format per process, shared by the boot logger and the app's.
 */
export function logDestination(format: LogFormat = 'json'): DestinationStream {
  const prototype = Object.getPrototypeOf(process.stdout) as { write: unknown };
  const captured = process.stdout.write !== prototype.write;
  if (format === 'pretty') {
    if (captured) return prettyStream({ colorize: false, destination: process.stdout });
  } else if (captured) return process.stdout;
  let stream = destinations.get(format);
  if (!stream) {
    stream =
      format === 'pretty'
        ? prettyStream({ colorize: process.stdout.isTTY === true })
        : pino.destination({ dest: process.stdout.fd ?? 1, sync: false });
    destinations.set(format, stream);
  }
  return stream;
}

const destinations = new Map<LogFormat, DestinationStream>();

/** pino-http's options and the destination: the app's LoggerModule and the boot logger log alike. */
export function loggerParams(app: AppConfig, observability: ObservabilityConfig): Params {
  const format = logFormat({
    nodeEnv: app.nodeEnv,
    isTTY: process.stdout.isTTY === true,
    override: observability.logFormat,
  });
  return {
    pinoHttp: [
      {
        level: app.logLevel,
        genReqId: requestId,
        customLogLevel: (_req, res, err) =>
          err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        serializers: {
          req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
            id: req.id,
            method: req.method,
            url: redactUrl(req.url),
            remoteAddress: req.remoteAddress,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          err: redactError,
        },
        redact: {
          paths: [
            'req.headers.authorization',
            'req.headers.cookie',
            '*.password',
            '*.newPassword',
            '*.token',
            '*.refreshToken',
            '*.ticket',
            '*.inviteCode',
            '*.passwordHash',
            '*.headers.authorization',
          ],
          censor: '[redacted]',
        },
      },
      logDestination(format),
    ],
  };
}

/**
 * The logger for what happens before the app exists (the embedded database starting): the
 * app's own pino logger and format, so a newcomer never sees Nest's coloured console lines
 * mixed with JSON. main.ts installs it with `Logger.overrideLogger`; the app replaces it once
 * created (`app.useLogger`).
 */
export function bootLogger(env: Env = process.env): LoggerService {
  return new Logger(new PinoLogger(loggerParams(appConfig(env), observabilityConfig(env))), {});
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY, observabilityConfig.KEY],
      useFactory: loggerParams,
    }),
  ],
})
export class LoggingModule {}
