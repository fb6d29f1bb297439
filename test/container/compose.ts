import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './dockerfile';

export type Yaml = string | Yaml[] | { [key: string]: Yaml };

function scalar(text: string): Yaml {
  const value = text.trim();
  if (value.startsWith('[')) {
    return splitFlow(value.slice(1, -1)).map(scalar);
  }
  if (/^'.*'$/.test(value)) return value.slice(1, -1).replace(/''/g, "'");
  if (/^".*"$/.test(value)) return JSON.parse(value) as string;
  return value;
}

/** `'a', "b, c", d` → three items. */
function splitFlow(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === ',') {
      items.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim()) items.push(current);
  return items;
}

/**
 * The block-style YAML subset docker-compose.yml is written in: nested maps, `- item` lists,
 * plain, quoted and `[flow, lists]` scalars, full-line comments. Anything else is refused, so
 * that the checks below never read a file they misunderstood.
 */
export function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: raw.trim() }))
    .filter((line) => line.text && !line.text.startsWith('#'));
  let at = 0;
  const block = (indent: number): Yaml => {
    if (lines[at].text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (at < lines.length && lines[at].indent === indent && lines[at].text.startsWith('- ')) {
        list.push(scalar(lines[at].text.slice(2)));
        at += 1;
      }
      return list;
    }
    const map: { [key: string]: Yaml } = {};
    while (at < lines.length && lines[at].indent === indent) {
      const match = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(lines[at].text);
      if (!match) throw new Error(`docker-compose.yml: cannot read "${lines[at].text}"`);
      at += 1;
      if (match[2] !== undefined) map[match[1]] = scalar(match[2]);
      else if (at < lines.length && lines[at].indent > indent) map[match[1]] = block(lines[at].indent);
      else map[match[1]] = {};
    }
    if (at < lines.length && lines[at].indent > indent) {
      throw new Error(`docker-compose.yml: unexpected indentation at "${lines[at].text}"`);
    }
    return map;
  };
  return block(0);
}

export interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: Yaml;
      environment?: Record<string, string>;
      volumes?: string[];
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
    }
  >;
  volumes?: Record<string, Yaml>;
}

export function readCompose(): Compose {
  return parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as unknown as Compose;
}

/**
 * A compose value with its `${NAME:?message}` (the operator must set it: `supplied(NAME)`) and
 * `${NAME:-default}` forms expanded.
 */
export function interpolate(value: string, supplied: (name: string) => string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) =>
    kind === '-' ? (rest ?? '') : supplied(name),
  );
}

/** The `${NAME:?...}` variables of a compose value: the ones its operator must set. */
export function requiredFromOperator(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]);
}
