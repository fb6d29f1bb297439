import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readRun, summaryTable } from './summary';

/** Kills any server a scenario left behind (a crashed run), stops the cluster, prints the run's summary. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env.FAULTS_RUN_DIR;
  if (dir) {
    for (const pid of readdirSafe(join(dir, 'pids'))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        process.stderr.write(
          `fault suite: killed leftover server ${pid} (${readFileSync(join(dir, 'pids', pid), 'utf8').trim()})\n`,
        );
      } catch {
        // already gone
      }
    }
  }
  await globalThis.__CARTSYNC_FAULTS_PG__?.stop();
  const run = readRun();
  if (run && run.runId === process.env.FAULTS_RUN_ID) {
    process.stdout.write(`\n${summaryTable(run)}\n`);
    const failed = Object.values(run.scenarios).some((s) => !s.passed);
    if (dir && !failed) await rm(dir, { recursive: true, force: true });
    else if (dir) process.stdout.write(`server logs and histories kept in ${dir}\n`);
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
