import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { PoolClient } from 'pg';
import { HealthResponse } from './health.response';

const READY_TIMEOUT_MS = 1000;

/** Settles like `work`, or rejects once `ms` have passed. */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  live(): HealthResponse {
    return { status: 'ok' };
  }

  /** Ready when a pooled connection answers `SELECT 1` within a second; 503 otherwise. */
  async ready(): Promise<HealthResponse> {
    const driver = this.dataSource.driver as PostgresDriver;
    const lease = driver.obtainMasterConnection() as Promise<[PoolClient, (error?: Error) => void]>;
    let answered = false;
    try {
      await within(
        lease.then(([client]) => client.query('SELECT 1')),
        READY_TIMEOUT_MS,
      );
      answered = true;
      return { status: 'ok' };
    } catch {
      throw new ServiceUnavailableException('The database is not reachable.');
    } finally {
      // The connection goes back to the pool once there is one (it may still be on its way).
      // One that did not answer in time goes back as broken, so the pool closes it instead of
      // lending it out again: it may never answer, and would hold its slot for good.
      void lease.then(
        ([, release]) => release(answered ? undefined : new Error('readiness check got no answer')),
        () => undefined,
      );
    }
  }
}
