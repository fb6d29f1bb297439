/**
 * Adds and checks wait here until the server has them: made offline, they are sent when the
 * connection returns, each exactly once (the item id is generated here and every POST carries
 * an Idempotency-Key, so a retry of a request whose answer was lost changes nothing).
 */
import { api, ApiError, NetworkError } from './api.js';
import type { Item } from './types.js';

const KEY = 'cartsync.outbox';

export type Operation =
  | {
      kind: 'add';
      key: string;
      listId: string;
      item: { id: string; name: string; quantity: number; unit: string };
    }
  | {
      kind: 'check';
      key: string;
      listId: string;
      itemId: string;
      checked: boolean;
      /** When the check happened, sent only for checks made offline. */
      checkedAt?: string;
    };

export interface OutboxHandlers {
  /** The server accepted an operation and answered with the item. */
  done(operation: Operation, item: Item): void;
  /** The server refused an operation for good (4xx): it is dropped. */
  refused(operation: Operation, error: ApiError): void;
  changed(pending: number): void;
}

export class Outbox {
  private flushing: Promise<void> | null = null;

  constructor(private readonly handlers: OutboxHandlers) {}

  pending(listId?: string): Operation[] {
    const all = this.read();
    return listId ? all.filter((operation) => operation.listId === listId) : all;
  }

  add(operation: Operation): void {
    this.write([...this.read(), operation]);
  }

  /** Sends what is queued, in order, one at a time; stops at the first network failure. */
  flush(): Promise<void> {
    this.flushing ??= this.run().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async run(): Promise<void> {
    for (;;) {
      const [operation] = this.read();
      if (!operation) return;
      try {
        const item = await send(operation);
        this.remove(operation.key);
        this.handlers.done(operation, item);
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
          this.remove(operation.key);
          this.handlers.refused(operation, error);
          continue;
        }
        // Offline, a 5xx or a 429: it stays first in line and is sent again later.
        if (error instanceof NetworkError || error instanceof ApiError) return;
        throw error;
      }
    }
  }

  private remove(key: string): void {
    this.write(this.read().filter((operation) => operation.key !== key));
  }

  private read(): Operation[] {
    try {
      const stored = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
      return Array.isArray(stored) ? (stored as Operation[]) : [];
    } catch {
      return [];
    }
  }

  private write(operations: Operation[]): void {
    localStorage.setItem(KEY, JSON.stringify(operations));
    this.handlers.changed(operations.length);
  }
}

function send(operation: Operation): Promise<Item> {
  switch (operation.kind) {
    case 'add':
      return api<Item>('POST', `/lists/${operation.listId}/items`, operation.item, {
        'Idempotency-Key': operation.key,
      });
    case 'check':
      return api<Item>(
        'PATCH',
        `/lists/${operation.listId}/items/${operation.itemId}`,
        operation.checked && operation.checkedAt
          ? { checked: true, checkedAt: operation.checkedAt }
          : { checked: operation.checked },
      );
  }
}
