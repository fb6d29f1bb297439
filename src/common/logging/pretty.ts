import PinoPretty from 'pino-pretty';
import type { DestinationStream } from 'pino';

interface RequestLine {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  context?: string;
}

/**
 * One line per log entry for people: `12:00:00.000 INFO: GET /lists/… 200 in 3 ms` for a
 * request (pino-http's object reduced to what one reads), `[RoutesResolver] …` for Nest's own
 * lines; other fields (an error's stack, ids) follow on indented lines.
 */
export function readableMessage(log: Record<string, unknown>, messageKey: string): string {
  const line = log as RequestLine;
  const message = typeof log[messageKey] === 'string' ? (log[messageKey]) : '';
  if (line.req?.method && line.res?.statusCode !== undefined) {
    const took = typeof line.responseTime === 'number' ? ` in ${Math.round(line.responseTime)} ms` : '';
    const outcome = message === 'request completed' || message === '' ? '' : ` (${message})`;
    return `${line.req.method} ${line.req.url ?? ''} ${line.res.statusCode}${took}${outcome}`;
  }
  return line.context ? `[${line.context}] ${message}` : message;
}

/** pino-pretty as an in-process stream (a function such as `readableMessage` cannot cross a transport's worker). */
export function prettyStream(options: { colorize: boolean; destination?: NodeJS.WritableStream }): DestinationStream {
  return PinoPretty({
    colorize: options.colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat: readableMessage,
    destination: options.destination ?? 1,
    sync: options.destination !== undefined,
  });
}
