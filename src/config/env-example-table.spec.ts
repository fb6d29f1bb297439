import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseEnvExample,
  readmeWithConfigTable,
  renderConfigTable,
  spliceTable,
  TABLE_END,
  TABLE_START,
} from './env-example-table';

const EXAMPLE = `# Header lines are not a variable's meaning.

# --- Server (app) ---
PORT=3000                        # HTTP port
HOST=0.0.0.0

# --- Throttles: counted in PostgreSQL; beyond → 429
# with Retry-After. ---
LOGIN_MAX=10 # wrong | right
# Required in production. Outside production one is
# generated.
JWT_SECRET=change-me
JWT_TTL=30d                      # lifetime
JWT_ALG=HS256
# A block of its own.
LEGACY=
`;

describe('parseEnvExample', () => {
  it('should read sections, defaults and meanings (inline, or the comment block above)', () => {
    expect(parseEnvExample(EXAMPLE)).toEqual([
      { section: 'Server', name: 'PORT', defaultValue: '3000', meaning: 'HTTP port' },
      { section: 'Server', name: 'HOST', defaultValue: '0.0.0.0', meaning: '' },
      { section: 'Throttles', name: 'LOGIN_MAX', defaultValue: '10', meaning: 'wrong | right' },
      {
        section: 'Throttles',
        name: 'JWT_SECRET',
        defaultValue: 'change-me',
        meaning: 'Required in production. Outside production one is generated.',
      },
      { section: 'Throttles', name: 'JWT_TTL', defaultValue: '30d', meaning: 'lifetime' },
      { section: 'Throttles', name: 'JWT_ALG', defaultValue: 'HS256', meaning: '' },
      { section: 'Throttles', name: 'LEGACY', defaultValue: '', meaning: 'A block of its own.' },
    ]);
  });
});

describe('renderConfigTable', () => {
  it('should print one row per variable under its section, with — for no default and pipes escaped', () => {
    expect(renderConfigTable(parseEnvExample(EXAMPLE).slice(0, 3))).toBe(
      [
        '| Variable | Default | Meaning |',
        '|---|---|---|',
        '| **Server** | | |',
        '| `PORT` | `3000` | HTTP port |',
        '| `HOST` | `0.0.0.0` |  |',
        '| **Throttles** | | |',
        '| `LOGIN_MAX` | `10` | wrong \\| right |',
      ].join('\n'),
    );
    expect(renderConfigTable(parseEnvExample(EXAMPLE)).split('\n')).toContain('| `LEGACY` | — | A block of its own. |');
  });
});

describe('spliceTable', () => {
  it('should replace only what is between the markers', () => {
    const readme = `before\n${TABLE_START}\nold\n${TABLE_END}\nafter`;
    expect(spliceTable(readme, 'new')).toBe(`before\n${TABLE_START}\nnew\n${TABLE_END}\nafter`);
  });

  it('should refuse a README without the markers', () => {
    expect(() => spliceTable('no markers', 'new')).toThrow('README.md needs the markers');
  });
});

describe('README.md', () => {
  const root = join(__dirname, '..', '..');

  it('should carry the configuration table of the current .env.example (npm run docs:config rewrites it)', () => {
    const { current, wanted } = readmeWithConfigTable(root);
    expect(current).toBe(wanted);
  });

  it('should give every variable of .env.example a meaning', () => {
    const unexplained = parseEnvExample(readFileSync(join(root, '.env.example'), 'utf8')).filter((v) => !v.meaning);
    expect(unexplained.map((v) => v.name)).toEqual([]);
  });
});
