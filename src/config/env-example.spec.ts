import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { CONFIG_NAMESPACES, validateEnv } from './validate-env';

const root = join(__dirname, '..', '..');

function example(): string {
  return readFileSync(join(root, '.env.example'), 'utf8');
}

function exampleKeys(): string[] {
  return example()
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

/** Every variable some namespace declares (and so validates at boot). */
function validatedKeys(): string[] {
  return CONFIG_NAMESPACES.flatMap((namespace) => namespace.variables);
}

function composeAppKeys(): string[] {
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const app = compose.slice(compose.indexOf('\n  app:'));
  const environment = app.slice(app.indexOf('environment:'), app.indexOf('ports:'));
  return [...environment.matchAll(/^ {6}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
}

describe('.env.example', () => {
  it('should list exactly the variables the server validates at boot', () => {
    expect(exampleKeys().sort()).toEqual(validatedKeys().sort());
  });

  it('should find each variable declared by exactly one namespace', () => {
    const keys = validatedKeys();
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });

  it('should keep the variables of each namespace together, in one section', () => {
    const keys = exampleKeys();
    for (const namespace of CONFIG_NAMESPACES) {
      const positions = namespace.variables.map((name) => keys.indexOf(name)).sort((a, b) => a - b);
      expect(positions.at(-1)! - positions[0]).toBe(positions.length - 1);
    }
  });

  it('should cover every variable docker-compose.yml gives the app', () => {
    const keys = composeAppKeys();
    expect(keys.length).toBeGreaterThan(5);
    expect(exampleKeys()).toEqual(expect.arrayContaining(keys));
  });

  it('should pass validation when copied to .env as it is', () => {
    expect(() => validateEnv(parseEnv(example()))).not.toThrow();
  });

  it('should show the default of every variable: loading it gives the config an empty environment gives', () => {
    const env = parseEnv(example());
    // The sample secret is the one value that is not a default (there is none).
    const defaults = { JWT_SECRET: env.JWT_SECRET };
    for (const namespace of CONFIG_NAMESPACES) {
      expect(namespace(env)).toEqual(namespace(defaults));
    }
  });
});
