/**
 * CPU time spent by a process, and by every PostgreSQL process of the machine, across a run:
 * the REST scenarios divide it by the answers to say where each request's cost lands (the
 * server's own thread or the database), beside the throughput both are limited by. Read from
 * /proc (Linux): utime + stime of /proc/<pid>/stat, in clock ticks (USER_HZ, 100 on Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

/**
 * utime + stime of the process, plus (`reaped`) cutime + cstime: the CPU of its children that
 * exited and were waited for (PostgreSQL's backends of closed connections, reaped by the
 * postmaster), which would otherwise vanish from a sum over the live processes.
 */
function ticksOf(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start past its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return reaped ? own + Number(fields[13]) + Number(fields[14]) : own;
  } catch {
    return 0;
  }
}

function postgresTicks(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += ticksOf(Number(entry), true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export interface CpuMark {
  server: number;
  postgres: number;
}

export function cpuMark(pid: number): CpuMark {
  return { server: ticksOf(pid), postgres: postgresTicks() };
}

/** Milliseconds of CPU per answer since `start`, for the server process and for PostgreSQL. */
export function cpuPerAnswer(pid: number, start: CpuMark, answers: number): { server: number; postgres: number } {
  const end = cpuMark(pid);
  const per = (ticks: number) => (answers > 0 ? (ticks * TICK_MS) / answers : 0);
  return { server: per(end.server - start.server), postgres: per(end.postgres - start.postgres) };
}
