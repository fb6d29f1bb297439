import { Propagation, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Clock } from '../common/clock/clock';
import { normalizeEmail } from '../common/decorators/trim.decorator';
import { productKey } from '../common/product-key';
import { authConfig } from '../config/auth.config';
import { learningConfig } from '../config/learning.config';
import { quotaConfig } from '../config/quota.config';
import { ListsRepository } from '../lists/lists.repository';
import { StoresRepository } from '../stores/stores.repository';
import { TripsService } from '../trips/trips.service';
import { ImportReport } from './import-report';
import { seedOrder } from './seed-order';
import { LegacyItem, LegacyOrderEntry, LegacySnapshot, LegacyStore, LegacyTrip } from './legacy-reader';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ImportOptions {
  uploads?: string;
  dryRun: boolean;
  /** Called after each list (done of total). */
  progress?: (done: number, total: number) => void;
}

/** Thrown at the end of a dry run to roll everything back. */
class DryRunRollback extends Error {}

/**
 * Writes the old server's snapshot into our database with our rules: users first, then one
 * unit of work per list (members, items, stores and their learned order, trips and receipts).
 * Every imported row is recorded in `legacy_ids`, so a second run finds it and writes nothing.
 * A dry run does it all in one transaction and rolls it back.
 */
@Injectable()
export class LegacyImporter {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly lists: ListsRepository,
    private readonly stores: StoresRepository,
    private readonly trips: TripsService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(learningConfig.KEY) private readonly learning: ConfigType<typeof learningConfig>,
    @Inject(quotaConfig.KEY) private readonly limits: ConfigType<typeof quotaConfig>,
  ) {}

  async run(old: LegacySnapshot, options: ImportOptions): Promise<ImportReport> {
    const report = new ImportReport();
    report.dryRun = options.dryRun;
    if (!options.dryRun) return this.importAll(old, options, report);
    try {
      await this.txHost.withTransaction(async () => {
        await this.importAll(old, options, report);
        throw new DryRunRollback();
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
    }
    return report;
  }

  private async importAll(old: LegacySnapshot, options: ImportOptions, report: ImportReport): Promise<ImportReport> {
    const now = this.clock.now();
    const users = await this.txHost.withTransaction(Propagation.Required, () => this.importUsers(old, report, now));
    const listIds = new Set(old.lists.map((list) => list.id));
    for (const [table, rows] of [
      ['list_members', old.members.map((m) => ({ listId: m.listId, id: `${m.listId}/${m.userId}` }))],
      ['items', old.items],
      ['stores', old.stores],
      ['trips', old.trips],
    ] as const) {
      for (const row of rows) {
        if (listIds.has(row.listId)) continue;
        report.read(table);
        report.skipped(table, row.id, `its list ${row.listId} does not exist`);
      }
    }
    const byList = <T extends { listId: string }>(rows: T[], listId: string) => rows.filter((r) => r.listId === listId);
    report.read('lists', old.lists.length);
    let done = 0;
    for (const list of old.lists) {
      try {
        await this.txHost.withTransaction(Propagation.Nested, () =>
          this.importList(
            {
              list,
              members: byList(old.members, list.id),
              items: byList(old.items, list.id),
              stores: byList(old.stores, list.id),
              trips: byList(old.trips, list.id),
              orderEntries: old.orderEntries,
              tripItems: old.tripItems,
            },
            users,
            options,
            report,
            now,
          ),
        );
      } catch (error) {
        report.skipped('lists', list.id, `failed, nothing of this list was written: ${message(error)}`);
      }
      options.progress?.(++done, old.lists.length);
    }
    this.orphans(old, report);
    await this.quotaNotes(users, report);
    return report;
  }

  /** Old user id → ours, for the users imported now or before. */
  private async importUsers(old: LegacySnapshot, report: ImportReport, now: Date): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const firstByEmail = new Map<string, string>();
    report.read('users', old.users.length);
    for (const user of old.users) {
      const email = normalizeEmail(user.email);
      const first = firstByEmail.get(email);
      if (first !== undefined) {
        report.skipped(
          'users',
          user.id,
          `email ${email} differs only in case from user ${first}'s (kept, the earlier account); not merged`,
        );
        continue;
      }
      firstByEmail.set(email, user.id);
      const known = await this.known('user', user.id);
      if (known) {
        ids.set(user.id, known);
        report.unchanged('users');
        continue;
      }
      const taken: unknown[] = await this.tx.query(`SELECT 1 FROM users WHERE email = $1`, [email]);
      if (taken.length > 0) {
        report.skipped('users', user.id, `email ${email} already has an account on this server; not merged`);
        continue;
      }
      const id = this.newId('users', user.id, report);
      await this.tx.query(
        `INSERT INTO users (id, email, name, password_hash, created_at, updated_at, legacy_imported_at, legacy_tokens_before)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6)`,
        [id, email, user.name, user.passwordHash, user.createdAt, now],
      );
      await this.remember('user', user.id, id);
      ids.set(user.id, id);
      report.written('users');
    }
    return ids;
  }

  private async importList(
    old: Pick<LegacySnapshot, 'orderEntries' | 'tripItems'> & {
      list: LegacySnapshot['lists'][number];
      members: LegacySnapshot['members'];
      items: LegacyItem[];
      stores: LegacyStore[];
      trips: LegacyTrip[];
    },
    users: Map<string, string>,
    options: ImportOptions,
    report: ImportReport,
    now: Date,
  ): Promise<void> {
    const { list } = old;
    report.read('list_members', old.members.length);
    const members = old.members
      .filter((member) => {
        if (users.has(member.userId)) return true;
        report.skipped('list_members', `${list.id}/${member.userId}`, `user ${member.userId} was not imported`);
        return false;
      })
      .sort((x, y) => x.joinedAt.getTime() - y.joinedAt.getTime() || cmp(x.userId, y.userId));
    let listId = await this.known('list', list.id);
    if (listId) {
      report.unchanged('lists');
    } else {
      if (members.length === 0) {
        report.skipped('lists', list.id, 'no imported member: nobody could open it');
        this.skipChildren(old, `its list ${list.id} was not imported`, report);
        return;
      }
      listId = this.newId('lists', list.id, report);
      const expiry = new Date(now.getTime() + this.auth.invite.ttlMs);
      await this.tx.query(
        `INSERT INTO lists (id, name, invite_code, invite_expires_at, created_at, updated_at) VALUES ($1, $2, NULL, $3, $4, $5)`,
        [listId, list.name, expiry, list.createdAt, now],
      );
      // The old codes were short and guessable: a new CSPRNG code, stored as every code is.
      await this.lists.rotateInviteCode(listId, expiry);
      await this.remember('list', list.id, listId);
      report.written('lists');
    }
    const hasOwner: unknown[] = await this.tx.query(
      `SELECT 1 FROM list_members WHERE list_id = $1 AND role = 'owner'`,
      [listId],
    );
    let ownerGiven = hasOwner.length > 0;
    for (const member of members) {
      const key = `${list.id}/${member.userId}`;
      const userId = users.get(member.userId)!;
      if (await this.known('list_member', key)) {
        report.unchanged('list_members');
        continue;
      }
      const role = ownerGiven ? 'member' : 'owner';
      ownerGiven = true;
      await this.tx.query(
        `INSERT INTO list_members (list_id, user_id, role, joined_at, joined_seq) VALUES ($1, $2, $3, $4, 0)
         ON CONFLICT DO NOTHING`,
        [listId, userId, role, member.joinedAt],
      );
      await this.remember('list_member', key, userId);
      report.written('list_members');
    }
    await this.importItems(listId, old.items, users, report, now);
    const storeIds = await this.importStores(listId, old.stores, old.orderEntries, report);
    await this.importTrips(listId, old.trips, old.tripItems, storeIds, users, options, report);
  }

  private async importItems(
    listId: string,
    items: LegacyItem[],
    users: Map<string, string>,
    report: ImportReport,
    now: Date,
  ): Promise<void> {
    report.read('items', items.length);
    for (const item of items) {
      if (await this.known('item', item.id)) {
        report.unchanged('items');
        continue;
      }
      const name = item.name.trim();
      if (name === '') {
        report.skipped('items', item.id, 'empty name');
        continue;
      }
      const quantity = this.quantity('items', item.id, item.quantity, report);
      const addedBy = this.user('items', item.id, 'added_by', item.addedBy, users, report);
      const checkedBy = item.checked ? this.user('items', item.id, 'checked_by', item.checkedBy, users, report) : null;
      const checkedAt = item.checked ? item.checkedAt : null;
      const id = this.newId('items', item.id, report);
      await this.tx.query(
        `INSERT INTO items (id, list_id, name, quantity, unit, checked, checked_by, checked_at, checked_received_at,
                            added_by, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, 1, $10, $11)`,
        [
          id,
          listId,
          name,
          quantity,
          item.unit || '×',
          item.checked,
          checkedBy,
          checkedAt,
          addedBy,
          item.createdAt,
          now,
        ],
      );
      await this.remember('item', item.id, id);
      report.written('items');
    }
  }

  /** Old store id → ours (a store folded into another of the same name maps to that one). */
  private async importStores(
    listId: string,
    stores: LegacyStore[],
    entries: LegacyOrderEntry[],
    report: ImportReport,
  ): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    report.read('stores', stores.length);
    for (const store of stores) {
      report.read('store_order_entries', entries.filter((e) => e.storeId === store.id).length);
      const known = await this.known('store', store.id);
      if (known) {
        ids.set(store.id, known);
        report.unchanged('stores');
        report.unchanged('store_order_entries', entries.filter((e) => e.storeId === store.id).length);
        continue;
      }
      const nameKey = productKey(store.name);
      const same: { id: string }[] = await this.tx.query(`SELECT id FROM stores WHERE list_id = $1 AND name_key = $2`, [
        listId,
        nameKey,
      ]);
      if (same.length > 0) {
        ids.set(store.id, same[0].id);
        report.skipped(
          'stores',
          store.id,
          `same name as store ${same[0].id} ("${store.name}"); its trips point at that one`,
        );
        for (const e of entries.filter((e) => e.storeId === store.id)) {
          report.skipped('store_order_entries', `${store.id}/${e.itemName}`, 'its store was folded into another');
        }
        continue;
      }
      const id = this.newId('stores', store.id, report);
      const tripCount = Math.max(0, store.tripCount);
      await this.tx.query(
        `INSERT INTO stores (id, list_id, name, name_key, trip_count, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
        [id, listId, store.name, nameKey, tripCount, store.createdAt],
      );
      await this.remember('store', store.id, id);
      ids.set(store.id, id);
      report.written('stores');
      await this.seedOrder(
        id,
        tripCount,
        store.id,
        entries.filter((e) => e.storeId === store.id),
        report,
      );
    }
    return ids;
  }

  /** The old learned order as the store's evidence (see `seedOrder`). */
  private async seedOrder(
    storeId: string,
    tripCount: number,
    legacyStoreId: string,
    entries: LegacyOrderEntry[],
    report: ImportReport,
  ): Promise<void> {
    const { pairs, names, dropped } = seedOrder(entries, tripCount, this.learning.storeLearnedProducts);
    for (const { itemName, reason } of dropped)
      report.skipped('store_order_entries', `${legacyStoreId}/${itemName}`, reason);
    await this.stores.savePairs(storeId, pairs);
    await this.stores.saveSpellings(storeId, names);
    report.written('store_order_entries', names.length);
  }

  private async importTrips(
    listId: string,
    trips: LegacyTrip[],
    allTripItems: LegacySnapshot['tripItems'],
    storeIds: Map<string, string>,
    users: Map<string, string>,
    options: ImportOptions,
    report: ImportReport,
  ): Promise<void> {
    report.read('trips', trips.length);
    const ordered = [...trips].sort((x, y) => x.completedAt.getTime() - y.completedAt.getTime() || cmp(x.id, y.id));
    for (const trip of ordered) {
      const tripItems = allTripItems.filter((item) => item.tripId === trip.id);
      report.read('trip_items', tripItems.length);
      if (trip.receiptUrl) report.read('receipts');
      const knownTrip = await this.known('trip', trip.id);
      if (knownTrip) {
        report.unchanged('trips');
        report.unchanged('trip_items', tripItems.length);
        if (trip.receiptUrl) {
          // A receipt missing or rejected before is tried again (the operator may have fixed the uploads).
          const [row]: { receiptKey: string | null }[] = await this.tx.query(
            `SELECT receipt_key AS "receiptKey" FROM trips WHERE id = $1`,
            [knownTrip],
          );
          if (row?.receiptKey) report.unchanged('receipts');
          else if (row) await this.importReceipt(listId, knownTrip, trip, options, report);
        }
        continue;
      }
      const id = this.newId('trips', trip.id, report);
      let storeId: string | null = null;
      if (trip.storeId) {
        storeId = storeIds.get(trip.storeId) ?? null;
        if (!storeId) report.fixed('trips', trip.id, `store ${trip.storeId} does not exist: kept its name only`);
      }
      const completedBy = this.user('trips', trip.id, 'completed_by', trip.completedBy, users, report);
      await this.tx.query(
        `INSERT INTO trips (id, list_id, store_id, store_name, completed_by, completed_at, received_at, item_count)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
        [id, listId, storeId, trip.storeName, completedBy, trip.completedAt, Math.max(0, trip.itemCount)],
      );
      await this.remember('trip', trip.id, id);
      report.written('trips');
      for (const [n, item] of tripItems.entries()) {
        const itemId = `${trip.id}#${n + 1}`;
        const name = item.name.trim();
        if (name === '') {
          report.skipped('trip_items', itemId, 'empty name');
          continue;
        }
        const quantity = this.quantity('trip_items', itemId, item.quantity, report);
        await this.tx.query(
          `INSERT INTO trip_items (trip_id, item_id, product_key, name, quantity, unit, checked_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [id, randomUUID(), productKey(name), name, quantity, item.unit || '×', completedBy],
        );
        report.written('trip_items');
      }
      if (trip.receiptUrl) await this.importReceipt(listId, id, trip, options, report);
    }
  }

  /** The trip's old receipt file through our receipt pipeline; the trip stays without it when that fails. */
  private async importReceipt(
    listId: string,
    tripId: string,
    trip: LegacyTrip,
    options: ImportOptions,
    report: ImportReport,
  ): Promise<void> {
    if (!options.uploads) {
      report.skipped('receipts', trip.id, `${trip.receiptUrl}: no --uploads directory given`);
      return;
    }
    const file = basename(new URL(trip.receiptUrl!, 'http://old.invalid/').pathname);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(options.uploads, file));
    } catch (error) {
      report.skipped(
        'receipts',
        trip.id,
        `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? message(error)})`,
      );
      return;
    }
    try {
      await this.txHost.withTransaction(Propagation.Nested, () => this.trips.importReceipt(listId, tripId, bytes));
      report.written('receipts');
    } catch (error) {
      report.skipped('receipts', trip.id, `${file}: rejected: ${message(error)}`);
    }
  }

  /** Rows whose parent is not in the old database (the old schema's constraints may have been off). */
  private orphans(old: LegacySnapshot, report: ImportReport): void {
    const stores = new Set(old.stores.map((s) => s.id));
    const trips = new Set(old.trips.map((t) => t.id));
    for (const e of old.orderEntries) {
      if (!stores.has(e.storeId)) {
        report.read('store_order_entries');
        report.skipped('store_order_entries', `${e.storeId}/${e.itemName}`, `its store ${e.storeId} does not exist`);
      }
    }
    for (const item of old.tripItems) {
      if (!trips.has(item.tripId)) {
        report.read('trip_items');
        report.skipped('trip_items', `${item.tripId}/${item.name}`, `its trip ${item.tripId} does not exist`);
      }
    }
  }

  private skipChildren(
    old: { items: LegacyItem[]; stores: LegacyStore[]; trips: LegacyTrip[]; members: { userId: string }[] },
    reason: string,
    report: ImportReport,
  ): void {
    for (const item of old.items) report.skipped('items', item.id, reason);
    for (const store of old.stores) report.skipped('stores', store.id, reason);
    for (const trip of old.trips) report.skipped('trips', trip.id, reason);
    report.read('items', old.items.length);
    report.read('stores', old.stores.length);
    report.read('trips', old.trips.length);
  }

  /** Our quotas do not drop imported data, but whatever is already past one is said. */
  private async quotaNotes(users: Map<string, string>, report: ImportReport): Promise<void> {
    const ids = [...users.values()];
    const over = async (sql: string, params: unknown[]): Promise<{ id: string; n: number }[]> =>
      this.tx.query(sql, params);
    for (const row of await over(
      `SELECT user_id AS id, count(*)::int AS n FROM list_members WHERE user_id = ANY($1::uuid[]) GROUP BY user_id HAVING count(*) > $2`,
      [ids, this.limits.listsPerUser],
    )) {
      report.note(
        'users',
        row.id,
        `member of ${row.n} lists, past MAX_LISTS_PER_USER=${this.limits.listsPerUser}: cannot create or join more`,
      );
    }
    const perList = [
      ['items', 'items', this.limits.itemsPerList, 'MAX_ITEMS_PER_LIST', 'cannot add more until some are removed'],
      ['list_members', 'list_members', this.limits.membersPerList, 'MAX_MEMBERS_PER_LIST', 'nobody new can join'],
      ['stores', 'stores', this.limits.storesPerList, 'MAX_STORES_PER_LIST', 'cannot add more stores'],
      [
        'trips',
        'trips',
        this.limits.tripsKeptPerList,
        'TRIPS_KEPT_PER_LIST',
        'the next completed trip trims the oldest',
      ],
    ] as const;
    for (const [table, sqlTable, limit, variable, effect] of perList) {
      for (const row of await over(
        `SELECT list_id AS id, count(*)::int AS n FROM ${sqlTable}
          WHERE list_id IN (SELECT list_id FROM list_members WHERE user_id = ANY($1::uuid[]))
          GROUP BY list_id HAVING count(*) > $2`,
        [ids, limit],
      )) {
        report.note(table, row.id, `list has ${row.n}, past ${variable}=${limit}: all imported; ${effect}`);
      }
    }
  }

  private quantity(table: 'items' | 'trip_items', id: string, raw: string, report: ImportReport): number {
    const value = Number(raw);
    if (Number.isFinite(value) && value > 0) return value;
    report.fixed(table, id, `quantity ${raw} is not a positive number: imported as 1`);
    return 1;
  }

  private user(
    table: 'items' | 'trips',
    id: string,
    column: string,
    oldUser: string | null,
    users: Map<string, string>,
    report: ImportReport,
  ): string | null {
    if (oldUser === null) return null;
    const ours = users.get(oldUser);
    if (!ours) report.fixed(table, id, `${column} ${oldUser} is not an imported user: left empty`);
    return ours ?? null;
  }

  /** Our id for a new row: the old one when it is a UUID (lower-cased), else a new one, reported. */
  private newId(
    table: 'users' | 'lists' | 'items' | 'stores' | 'trips',
    legacyId: string,
    report: ImportReport,
  ): string {
    if (UUID.test(legacyId)) return legacyId.toLowerCase();
    const id = randomUUID();
    report.fixed(table, legacyId, `id is not a UUID: imported as ${id}`);
    return id;
  }

  private async known(kind: string, legacyId: string): Promise<string | null> {
    const rows: { id: string }[] = await this.tx.query(`SELECT id FROM legacy_ids WHERE kind = $1 AND legacy_id = $2`, [
      kind,
      legacyId,
    ]);
    return rows[0]?.id ?? null;
  }

  private async remember(kind: string, legacyId: string, id: string): Promise<void> {
    await this.tx.query(`INSERT INTO legacy_ids (kind, legacy_id, id, imported_at) VALUES ($1, $2, $3, $4)`, [
      kind,
      legacyId,
      id,
      this.clock.now(),
    ]);
  }

  private get tx() {
    return this.txHost.tx;
  }
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
