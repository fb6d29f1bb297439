import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { ensureWorkerDatabase } from './database';

export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<typeof request>;
  dataSource: DataSource;
  /** Empties every table (between tests). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the whole app as main.ts does, on this worker's migrated database, listening on a free
 * port of `host` (loopback unless a test must be reached through another interface).
 */
export async function createTestApp(env: Record<string, string> = {}, host = '127.0.0.1'): Promise<TestApp> {
  await ensureWorkerDatabase();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
    configureApp(app);
    await app.listen(0, host);
    const dataSource = app.get<DataSource>(getDataSourceToken());
    return {
      app,
      http: request(app.getHttpServer()),
      dataSource,
      reset: () => resetTables(dataSource),
      close: () => app.close(),
    };
  } finally {
    process.env = saved;
  }
}

type Env = Record<string, string>;

/**
 * Registers the jest hooks of one app for the enclosing `describe`: booted before its tests
 * (with `env`, which may be computed then, e.g. from a server an earlier hook started), every
 * table emptied before each test (unless `reset: false`, e.g. for a second app on the same
 * database) and closed after them. Hooks run in the order they are declared, so declare what
 * must come before the boot (and before the close) ahead of this call, the rest after it.
 * Returns a TestApp that stands for the running app: use it in hooks and tests.
 */
export function useTestApp(
  env: Env | (() => Env | Promise<Env>) = {},
  options: { reset?: boolean; host?: string } = {},
): TestApp {
  let current: TestApp | undefined;
  const running = (): TestApp => {
    if (!current) throw new Error('The test app is not running: use it inside hooks and tests, after useTestApp().');
    return current;
  };
  beforeAll(async () => {
    current = await createTestApp(typeof env === 'function' ? await env() : env, options.host);
  });
  afterAll(() => current?.close());
  if (options.reset !== false) beforeEach(() => running().reset());
  return {
    get app() {
      return running().app;
    },
    get http() {
      return running().http;
    },
    get dataSource() {
      return running().dataSource;
    },
    reset: () => running().reset(),
    close: () => running().close(),
  };
}

export async function resetTables(dataSource: DataSource): Promise<void> {
  const rows: { tablename: string }[] = await dataSource.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
  );
  await dataSource.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} CASCADE`);
}
