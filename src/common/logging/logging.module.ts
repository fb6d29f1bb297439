import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
import { appConfig } from '../../config/app.config';
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
 */
export function logDestination(): DestinationStream {
  const prototype = Object.getPrototypeOf(process.stdout) as { write: unknown };
  if (process.stdout.write !== prototype.write) return process.stdout;
  return pino.destination({ dest: process.stdout.fd ?? 1, sync: false });
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>) => ({
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
          logDestination(),
        ],
      }),
    }),
  ],
})
export class LoggingModule {}
