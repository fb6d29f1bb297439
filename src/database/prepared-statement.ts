import type { EntityManager } from 'typeorm';

/**
 * A statement of the hot paths, sent as a named prepared statement: PostgreSQL parses and plans
 * it once per connection, then only binds and executes it (node-postgres remembers, per
 * connection, which names it has parsed). `GET /lists/:id`'s one statement cost PostgreSQL
 * 1.67 ms of CPU per request unnamed and 0.98 ms named (`npm run bench -- --only rest-read`,
 * docs/BENCHMARKS.md). Only for statements with a fixed text: each name stays prepared on
 * every pooled connection for its life. Behind a pooler in transaction mode, PgBouncer ≥ 1.21
 * with `max_prepared_statements` keeps them working (docs/SCALING.md).
 */
export class PreparedStatement {
  private static readonly declared = new Map<string, string>();

  private constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  /**
   * Names are unique in the process: node-postgres refuses a second text under a name a
   * connection already parsed, at run time; here it fails when the module loads.
   */
  static declare(name: string, text: string): PreparedStatement {
    const known = PreparedStatement.declared.get(name);
    if (known !== undefined && known !== text) {
      throw new Error(`prepared statement "${name}" is declared twice with different SQL`);
    }
    PreparedStatement.declared.set(name, text);
    return new PreparedStatement(name, text);
  }

  /** The SQL, wherever the statement is shown as text (TypeORM's logs and QueryFailedError). */
  toString(): string {
    return this.text;
  }

  /**
   * Runs it in `manager`'s transaction (or on a pooled connection outside one). TypeORM hands its
   * query to node-postgres unchanged, and node-postgres takes a `{ name, text }` config there.
   */
  run<T>(manager: EntityManager, values: unknown[]): Promise<T> {
    return manager.query<T>(this as unknown as string, values);
  }
}
