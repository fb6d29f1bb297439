import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [base, as, name] = args.split(/\s+/);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : null, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile: ${keyword} before FROM`);
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

export function args(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** `ENV A=1 B=2` (and `ENV A 1`), in order. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of args(stage, 'ENV')) {
    if (!line.includes('=')) {
      const [name, ...value] = line.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const [, name, value] of line.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[name] = value.replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** The exec form of CMD / HEALTHCHECK CMD (`["node", "x.js"]`), or a shell form as `sh -c`. */
export function command(form: string): string[] {
  const text = form.trim();
  if (text.startsWith('[')) return JSON.parse(text) as string[];
  return ['/bin/sh', '-c', text];
}

/** The last WORKDIR of a stage (absolute, as in the image). */
export function workdirOf(stage: Stage): string {
  return args(stage, 'WORKDIR').reduce((dir, next) => posix.resolve(dir, next), '/');
}

export function finalStage(stages: Stage[] = parseDockerfile()): Stage {
  return stages.at(-1)!;
}

/** `COPY [--from=x] [--chown=u:g] src... dest`, split. */
export function parseCopy(line: string): {
  from: string | null;
  chown: string | null;
  sources: string[];
  dest: string;
} {
  const words = line.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
  return { from: flag('from'), chown: flag('chown'), sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** `HEALTHCHECK [--options] CMD ...`: the command part. */
export function healthcheckCommand(stage: Stage): string[] | null {
  const line = args(stage, 'HEALTHCHECK')[0];
  if (!line) return null;
  const at = line.indexOf('CMD ');
  return at < 0 ? null : command(line.slice(at + 4));
}
