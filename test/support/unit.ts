import { ClsPluginTransactional, NoOpTransactionalAdapter, TransactionHost } from '@nestjs-cls/transactional';
import { Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClsModule } from 'nestjs-cls';
import { Clock } from '../../src/common/clock/clock';

/** A fixed instant for service specs. */
export const NOW = new Date('2026-03-02T10:00:00.000Z');

export interface ServiceUnderTest<T> {
  service: T;
  /** Whether a unit of work is open right now (read it from inside a double). */
  inTransaction(): boolean;
}

/**
 * Builds `service` in a Nest testing module with the given typed doubles and a real
 * transaction host over a no-op adapter, so `@Transactional()` runs and a double can tell
 * whether it was called inside the unit of work. The Clock stands at NOW.
 */
export async function serviceUnderTest<T>(service: Type<T>, doubles: Provider[]): Promise<ServiceUnderTest<T>> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ClsModule.forRoot({
        plugins: [new ClsPluginTransactional({ adapter: new NoOpTransactionalAdapter({ tx: { unitOfWork: true } }) })],
      }),
    ],
    providers: [service, { provide: Clock, useValue: { now: () => NOW } }, ...doubles],
  }).compile();
  const txHost = moduleRef.get(TransactionHost);
  return { service: moduleRef.get(service), inTransaction: () => txHost.isTransactionActive() };
}

/** The order in which jest mocks were first called, for "emits after the write". */
export function callOrder(...mocks: jest.Mock[]): number[] {
  return mocks.map((m) => m.mock.invocationCallOrder[0] ?? Number.POSITIVE_INFINITY);
}
