import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One variable of `.env.example`: its section, default (empty: not set) and meaning. */
export interface EnvVariable {
  section: string;
  name: string;
  defaultValue: string;
  meaning: string;
}

const SECTION = /^# --- (.*?)(?: ---)?$/;
const VARIABLE = /^([A-Z][A-Z0-9_]*)=(.*?)\s*(?:#\s*(.*))?$/;
export const TABLE_START = '<!-- config-table: generated from .env.example by `npm run docs:config` -->';
export const TABLE_END = '<!-- /config-table -->';

/**
 * Reads `.env.example` as it is written: `# --- Title ---` starts a section (its title may wrap
 * onto `#` lines until the closing `---`; the title is what comes before its first `:` or `(`),
 * `NAME=default  # meaning` is a variable, and a comment block right above variables without a
 * comment of their own gives them their meaning (up to the first variable that has one).
 */
export function parseEnvExample(text: string): EnvVariable[] {
  const variables: EnvVariable[] = [];
  let section = '';
  let inTitle = false;
  let pending: string[] = [];
  let afterVariable = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const heading = SECTION.exec(line);
    if (heading) {
      section = heading[1].split(/[:(]/)[0].trim();
      inTitle = !line.endsWith('---');
      pending = [];
      continue;
    }
    if (inTitle) {
      inTitle = !line.endsWith('---');
      continue;
    }
    if (line.startsWith('#')) {
      if (afterVariable) pending = [];
      afterVariable = false;
      pending.push(line.replace(/^#\s?/, ''));
      continue;
    }
    const variable = VARIABLE.exec(line);
    if (!variable) {
      pending = [];
      afterVariable = false;
      continue;
    }
    afterVariable = true;
    const [, name, defaultValue, comment] = variable;
    // A block above covers the variables right below it, up to the first with its own comment.
    if (comment) pending = [];
    variables.push({ section, name, defaultValue, meaning: comment?.trim() || pending.join(' ').trim() });
  }
  return variables;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The README's configuration table: one row per variable, grouped by section, in file order. */
export function renderConfigTable(variables: EnvVariable[]): string {
  const rows = ['| Variable | Default | Meaning |', '|---|---|---|'];
  let section: string | undefined;
  for (const variable of variables) {
    if (variable.section !== section) {
      section = variable.section;
      rows.push(`| **${cell(section)}** | | |`);
    }
    const defaultValue = variable.defaultValue === '' ? '—' : `\`${cell(variable.defaultValue)}\``;
    rows.push(`| \`${variable.name}\` | ${defaultValue} | ${cell(variable.meaning)} |`);
  }
  return rows.join('\n');
}

/** `readme` with the text between the markers replaced by `table`. */
export function spliceTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${TABLE_START} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}

/** README.md as it should be, given the checkout at `root`. */
export function readmeWithConfigTable(root: string): { current: string; wanted: string } {
  const current = readFileSync(join(root, 'README.md'), 'utf8');
  const table = renderConfigTable(parseEnvExample(readFileSync(join(root, '.env.example'), 'utf8')));
  return { current, wanted: spliceTable(current, table) };
}

// `npm run docs:config`: rewrites the table in README.md.
if (require.main === module) {
  const root = process.cwd();
  const { current, wanted } = readmeWithConfigTable(root);
  if (current !== wanted) writeFileSync(join(root, 'README.md'), wanted);
  process.stdout.write(
    current === wanted ? 'README.md: configuration table up to date\n' : 'README.md: configuration table rewritten\n',
  );
}
