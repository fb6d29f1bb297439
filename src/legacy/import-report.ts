/** What the import did (or, with --dry-run, would do), table by table, and every row it did not take as it was. */
export const REPORT_TABLES = [
  'users',
  'lists',
  'list_members',
  'items',
  'stores',
  'store_order_entries',
  'trips',
  'trip_items',
  'receipts',
] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

export interface TableCounts {
  read: number;
  written: number;
  unchanged: number;
  skipped: number;
}

export interface ReportEntry {
  table: ReportTable;
  /** The old server's id (or `list/user`, `store/item name`, `trip#n`). */
  legacyId: string;
  /** skipped: not imported; fixed: imported with a change; note: imported as is, worth knowing. */
  outcome: 'skipped' | 'fixed' | 'note';
  reason: string;
}

export class ImportReport {
  readonly tables = Object.fromEntries(
    REPORT_TABLES.map((table) => [table, { read: 0, written: 0, unchanged: 0, skipped: 0 }]),
  ) as Record<ReportTable, TableCounts>;
  readonly entries: ReportEntry[] = [];
  dryRun = false;

  read(table: ReportTable, n = 1): void {
    this.tables[table].read += n;
  }

  written(table: ReportTable, n = 1): void {
    this.tables[table].written += n;
  }

  unchanged(table: ReportTable, n = 1): void {
    this.tables[table].unchanged += n;
  }

  skipped(table: ReportTable, legacyId: string, reason: string): void {
    this.tables[table].skipped += 1;
    this.entries.push({ table, legacyId, outcome: 'skipped', reason });
  }

  fixed(table: ReportTable, legacyId: string, reason: string): void {
    this.entries.push({ table, legacyId, outcome: 'fixed', reason });
  }

  note(table: ReportTable, legacyId: string, reason: string): void {
    this.entries.push({ table, legacyId, outcome: 'note', reason });
  }

  /** Rows written (or that would be): 0 on a second run. */
  get changes(): number {
    return REPORT_TABLES.reduce((sum, table) => sum + this.tables[table].written, 0);
  }

  toJSON() {
    return { dryRun: this.dryRun, changes: this.changes, tables: this.tables, entries: this.entries };
  }

  toText(): string {
    const lines = [this.dryRun ? 'Legacy import — DRY RUN, nothing was written:' : 'Legacy import:'];
    const head = ['table', 'read', this.dryRun ? 'would write' : 'written', 'unchanged', 'skipped'];
    const rows = REPORT_TABLES.map((t) => [t, ...Object.values(this.tables[t]).map(String)]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [head, ...rows]) {
      lines.push(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    }
    lines.push(`${this.changes} change(s).`);
    for (const outcome of ['skipped', 'fixed', 'note'] as const) {
      const entries = this.entries.filter((e) => e.outcome === outcome);
      if (entries.length === 0) continue;
      lines.push('', `${outcome} (${entries.length}):`);
      for (const e of entries) lines.push(`  ${e.table} ${e.legacyId}: ${e.reason}`);
    }
    return lines.join('\n');
  }
}
