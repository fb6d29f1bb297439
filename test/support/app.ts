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

/** Boots the whole app as main.ts does, on this worker's migrated database, listening on a free port. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  await ensureWorkerDatabase();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
    configureApp(app);
    await app.listen(0, '127.0.0.1');
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

export async function resetTables(dataSource: DataSource): Promise<void> {
  const rows: { tablename: string }[] = await dataSource.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
  );
  await dataSource.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} CASCADE`);
}
