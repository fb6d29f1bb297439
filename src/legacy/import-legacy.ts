import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { loadEnvFile } from '../config/env-file';
import { CoreModule } from '../core.module';
import { ListIdempotencyModule } from '../access/list-idempotency.module';
import { validateEnv } from '../config/validate-env';
import { startEmbeddedDatabaseIfNeeded } from '../database/embedded-database';
import { ImportReport } from './import-report';
import { LegacyImporter } from './legacy-importer';
import { LegacyModule } from './legacy.module';
import { LegacyReader } from './legacy-reader';

/**
 * What the import needs of the server, wired as AppModule wires it: config, the database (its
 * migrations run on connect), CLS transactions, the clock; then lists, stores and trips
 * through LegacyModule (their controllers' POST routes need ListIdempotencyModule). Not the
 * HTTP side (auth, and its native argon2, is not loaded).
 */
@Module({ imports: [CoreModule, ListIdempotencyModule, LegacyModule] })
class ImportLegacyModule {}

const USAGE =
  'usage: npm run import:legacy -- --from <old DATABASE_URL> [--uploads <old uploads dir>] [--dry-run] [--json]';

/**
 * `npm run import:legacy`: takes the old server's households over. Runs our migrations (the
 * application context connects like the server does), reads the old database read-only,
 * writes ours one list at a time, prints the report (stdout; progress on stderr). Exit 0 when
 * it ran (skipped rows are in the report), 1 on a fatal error, 2 on bad arguments.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        from: { type: 'string' },
        uploads: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (!args.from) {
    process.stderr.write(`--from is required\n${USAGE}\n`);
    return 2;
  }
  loadEnvFile();
  validateEnv(process.env);
  const embedded = await startEmbeddedDatabaseIfNeeded();
  const reader = new LegacyReader(args.from);
  const app = await NestFactory.createApplicationContext(ImportLegacyModule, { logger: ['error'] });
  try {
    const snapshot = await reader.read();
    const importer = app.get(LegacyImporter);
    const report: ImportReport = await importer.run(snapshot, {
      uploads: args.uploads,
      dryRun: args['dry-run'],
      progress: progressLine(),
    });
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${report.toText()}\n`);
    return 0;
  } finally {
    await reader.close();
    await app.close();
    await embedded?.stop();
  }
}

/** A bar redrawn in place on a terminal; a line per tenth otherwise (logs). */
function progressLine(): (done: number, total: number) => void {
  const out = process.stderr;
  let lastTenth = -1;
  return (done, total) => {
    if (out.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      out.write(
        `\rlists [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`,
      );
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth || done === total) {
      lastTenth = tenth;
      out.write(`lists ${done}/${total}\n`);
    }
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`import:legacy failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
