import { getMetadataStorage } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentVariables } from './env.schema';

const root = join(__dirname, '..', '..');

function exampleKeys(): string[] {
  return readFileSync(join(root, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

function validatedKeys(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(EnvironmentVariables, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
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

  it('should cover every variable docker-compose.yml gives the app', () => {
    const keys = composeAppKeys();
    expect(keys.length).toBeGreaterThan(5);
    expect(exampleKeys()).toEqual(expect.arrayContaining(keys));
  });
});
