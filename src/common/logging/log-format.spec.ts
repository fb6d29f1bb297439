import { Writable } from 'node:stream';
import pino from 'pino';
import { logFormat } from './log-format';
import { prettyStream, readableMessage } from './pretty';

describe('logFormat', () => {
  it('should write readable lines only in development on a terminal', () => {
    expect(logFormat({ nodeEnv: 'development', isTTY: true })).toBe('pretty');
  });

  it.each([
    ['development, piped or redirected', 'development', false],
    ['production on a terminal', 'production', true],
    ['production, piped', 'production', false],
    ['tests on a terminal', 'test', true],
  ] as const)('should write JSON in %s', (_case, nodeEnv, isTTY) => {
    expect(logFormat({ nodeEnv, isTTY })).toBe('json');
  });

  it('should follow LOG_FORMAT whatever the environment', () => {
    expect(logFormat({ nodeEnv: 'production', isTTY: false, override: 'pretty' })).toBe('pretty');
    expect(logFormat({ nodeEnv: 'development', isTTY: true, override: 'json' })).toBe('json');
  });
});

describe('readable log lines', () => {
  /** What the pretty stream writes for `write(logger)`, with the time (local, from the clock) cut off. */
  async function prettyOutput(write: (logger: pino.Logger) => void): Promise<string[]> {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'info' }, prettyStream({ colorize: false, destination: sink }));
    write(logger);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = chunks.join('').split('\n').filter(Boolean);
    for (const line of lines.filter((l) => !l.startsWith(' '))) expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] /);
    return lines.map((line) => line.replace(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] /, ''));
  }

  it('should print a request as method, path, status and time on one line', async () => {
    const lines = await prettyOutput((logger) =>
      logger.info(
        {
          req: { id: 'r-1', method: 'GET', url: '/lists/3f0c?token=[redacted]', remoteAddress: '127.0.0.1' },
          res: { statusCode: 200 },
          responseTime: 3.4,
        },
        'request completed',
      ),
    );
    expect(lines).toEqual(['INFO: GET /lists/3f0c?token=[redacted] 200 in 3 ms']);
  });

  it("should print Nest's own lines with their context, and other fields below", async () => {
    const lines = await prettyOutput((logger) => {
      logger.info({ context: 'RoutesResolver' }, 'ListsController {/lists}:');
      logger.warn({ listId: 'l-1' }, 'delivery paused; the sweep will retry');
    });
    expect(lines).toEqual([
      'INFO: [RoutesResolver] ListsController {/lists}:',
      'WARN: delivery paused; the sweep will retry',
      '    listId: "l-1"',
    ]);
  });

  it('should say why a request failed when pino-http names it', () => {
    const log = {
      req: { method: 'POST', url: '/lists' },
      res: { statusCode: 500 },
      responseTime: 12,
      msg: 'request errored',
    };
    expect(readableMessage(log, 'msg')).toBe('POST /lists 500 in 12 ms (request errored)');
  });
});
