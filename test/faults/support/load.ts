import { randomUUID } from 'node:crypto';
import type { HttpClient } from './http-client';
import type { Random } from './random';
import { sleep } from './timing';

interface OwnItem {
  id: string;
  tag: string;
  name: string;
  checked: boolean;
  renames: number;
}

export interface LoadOptions {
  /** At most this many operations … */
  maxOps: number;
  /** … and none started after this time. */
  until: number;
  /** This client also renames the list now and then (one client does, so the final name is decidable). */
  renamesList?: boolean;
}

/**
 * One device's mixed read/write load on a list: add items (client-generated ids, keyed
 * POSTs), check and uncheck them, rename them, delete them, read the list, and — for one
 * client — rename the list. Each client works on the items it added, one operation at a
 * time, so the checker can tell what the database must hold. An item whose operation got
 * no definitive answer is left alone afterwards: its state is then one of two.
 */
export class LoadClient {
  private readonly items: OwnItem[] = [];
  private added = 0;
  private listRenames = 0;
  ops = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly listId: string,
    private readonly random: Random,
  ) {}

  async run(o: LoadOptions): Promise<void> {
    while (this.ops < o.maxOps && Date.now() < o.until) {
      this.ops++;
      const action = this.random.weighted({
        add: this.items.length < 3 ? 60 : 25,
        check: this.items.length > 0 ? 25 : 0,
        rename: this.items.length > 0 ? 12 : 0,
        delete: this.items.length > 6 ? 12 : 0,
        get: 18,
        renameList: o.renamesList ? 5 : 0,
      });
      switch (action) {
        case 'add':
          await this.add();
          break;
        case 'check':
          await this.check(this.random.pick(this.items));
          break;
        case 'rename':
          await this.rename(this.random.pick(this.items));
          break;
        case 'delete':
          await this.remove(this.random.pick(this.items));
          break;
        case 'get':
          await this.get();
          break;
        case 'renameList':
          await this.renameList();
          break;
      }
      await sleep(20 + this.random.int(40));
    }
  }

  private forget(item: OwnItem): void {
    this.items.splice(this.items.indexOf(item), 1);
  }

  /** Adds one item (a keyed POST with a client-generated id). */
  async add(): Promise<void> {
    const tag = `${this.http.id}-i${++this.added}`;
    const item: OwnItem = { id: randomUUID(), tag, name: tag, checked: false, renames: 0 };
    const op = await this.http.operation(
      'add',
      { itemId: item.id, tag, name: item.name },
      {
        method: 'POST',
        path: `/lists/${this.listId}/items`,
        body: { id: item.id, name: item.name, quantity: 1 + this.random.int(5), note: tag },
        idempotent: true,
      },
    );
    if (op.outcome === 'ok') this.items.push(item);
  }

  private async check(item: OwnItem): Promise<void> {
    const checked = !item.checked;
    const op = await this.http.operation(
      'check',
      { itemId: item.id, tag: item.tag, checked },
      { method: 'PATCH', path: `/lists/${this.listId}/items/${item.id}`, body: { checked } },
    );
    if (op.outcome === 'ok') item.checked = checked;
    else this.forget(item);
  }

  private async rename(item: OwnItem): Promise<void> {
    const name = `${item.tag}-r${++item.renames}`;
    const op = await this.http.operation(
      'rename',
      { itemId: item.id, tag: item.tag, name },
      { method: 'PATCH', path: `/lists/${this.listId}/items/${item.id}`, body: { name } },
    );
    if (op.outcome === 'ok') item.name = name;
    else this.forget(item);
  }

  private async remove(item: OwnItem): Promise<void> {
    this.forget(item);
    await this.http.operation(
      'delete',
      { itemId: item.id, tag: item.tag },
      { method: 'DELETE', path: `/lists/${this.listId}/items/${item.id}` },
    );
  }

  private async get(): Promise<void> {
    await this.http.operation(
      'get',
      {},
      {
        method: 'GET',
        path: `/lists/${this.listId}`,
        keep: (body) => {
          const list = body as { seq: number; items: { id: string }[] };
          return { seq: list.seq, itemIds: list.items.map((i) => i.id) };
        },
      },
    );
  }

  private async renameList(): Promise<void> {
    const name = `${this.http.id} list ${++this.listRenames}`;
    await this.http.operation(
      'renameList',
      { name },
      { method: 'PATCH', path: `/lists/${this.listId}`, body: { name } },
    );
  }
}
