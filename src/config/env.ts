import { ConfigFactoryKeyHost, ConfigObject, registerAs } from '@nestjs/config';
import { parseDuration } from './duration';

/** What the config reads: `process.env` when the app loads it, a plain object in specs. */
export type Env = Readonly<Record<string, unknown>>;

/**
 * One environment variable: its value when set, its default when unset. A value it refuses
 * throws {@link Refused} saying what is expected; the value itself is never repeated, since it
 * may be a secret.
 */
export type Variable<T> = (raw: string | undefined) => T;

export type Variables = Record<string, Variable<unknown>>;

export type Values<V extends Variables> = { [K in keyof V]: ReturnType<V[K]> };

class Refused extends Error {}

function refuse(expected: string): never {
  throw new Refused(expected);
}

export function integer(options: { default: number; min: number; max: number }): Variable<number> {
  const { min, max } = options;
  return (raw) => {
    if (raw === undefined) return options.default;
    const value = raw.trim() === '' ? NaN : Number(raw);
    return Number.isInteger(value) && value >= min && value <= max
      ? value
      : refuse(`must be a whole number from ${min} to ${max}`);
  };
}

export function text(fallback: string): Variable<string> {
  return (raw) => raw ?? fallback;
}

/** No default: unset or empty means "not configured" (the empty lines of .env.example). */
export function optionalText(): Variable<string | undefined> {
  return (raw) => raw || undefined;
}

export function oneOf<const T extends string>(values: readonly T[]): Variable<T | undefined>;
export function oneOf<const T extends string>(values: readonly T[], fallback: T): Variable<T>;
export function oneOf<const T extends string>(values: readonly T[], fallback?: T): Variable<T | undefined> {
  return (raw) => {
    if (raw === undefined) return fallback;
    return values.includes(raw as T) ? (raw as T) : refuse(`must be one of ${values.join(', ')}`);
  };
}

export function boolean(fallback: boolean): Variable<boolean> {
  return (raw) => {
    if (raw === undefined) return fallback;
    return raw === 'true' || raw === 'false' ? raw === 'true' : refuse('must be true or false');
  };
}

/** No default: unset or empty means "decided elsewhere" (e.g. by NODE_ENV). */
export function optionalBoolean(): Variable<boolean | undefined> {
  return (raw) => (raw === undefined || raw === '' ? undefined : boolean(false)(raw));
}

export function matching(pattern: RegExp, expected: string, fallback: string): Variable<string> {
  return (raw) => (raw === undefined ? fallback : pattern.test(raw) ? raw : refuse(expected));
}

/** A value `parse` understands (null: refused, saying what is `expected`). */
export function parsed<T>(fallback: string, parse: (raw: string) => T | null, expected: string): Variable<T> {
  return (raw) => parse(raw ?? fallback) ?? refuse(expected);
}

/** A duration such as `30d` or `15m`, in milliseconds. */
export function duration(fallback: string): Variable<number> {
  return (raw) => parseDuration(raw ?? fallback) ?? refuse('must look like 30d, 12h, 15m or 90s');
}

/** process.env holds strings; the plain objects of ConfigModule and the specs may hold numbers too. */
function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The value of one variable in `env`; a refused value counts as a problem and reads as the default. */
export function readVariable<T>(env: Env, name: string, variable: Variable<T>, problems: string[] = []): T {
  try {
    return variable(textOf(env[name]));
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    problems.push(`${name}: ${error.message}`);
    return variable(undefined);
  }
}

export function readVariables<V extends Variables>(env: Env, variables: V): { values: Values<V>; problems: string[] } {
  const problems: string[] = [];
  const values = Object.fromEntries(
    Object.entries(variables).map(([name, variable]) => [name, readVariable(env, name, variable, problems)]),
  ) as Values<V>;
  return { values, problems };
}

export function configurationError(problems: readonly string[]): Error {
  return new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
}

/** A `registerAs` namespace that also declares, and validates, the variables it reads. */
export interface ConfigNamespace<T extends ConfigObject> extends ConfigFactoryKeyHost<T> {
  /** The typed settings of `env` (Nest passes nothing: process.env); throws naming every bad variable. */
  (env?: Env): T;
  /** The variables this namespace owns; each one is listed in .env.example. */
  readonly variables: readonly string[];
  /** What is wrong with this namespace's variables in `env`; empty when nothing is. */
  problems(env: Env): string[];
}

/**
 * Declares a config namespace in one place: each variable with its default and bounds, the
 * rules that span several of them (what production requires), and the typed settings built
 * from the values. `build` may read another namespace's values through that namespace's
 * helpers (`dataDir(env)`), never `env` directly.
 */
export function configNamespace<V extends Variables, T extends ConfigObject>(
  token: string,
  variables: V,
  build: (values: Values<V>, env: Env) => T,
  rules: (values: Values<V>, env: Env) => string[] = () => [],
): ConfigNamespace<T> {
  const check = (env: Env) => {
    const { values, problems } = readVariables(env, variables);
    return { values, problems: [...problems, ...rules(values, env)] };
  };
  const load = (env: Env = process.env): T => {
    const { values, problems } = check(env);
    if (problems.length > 0) throw configurationError(problems);
    return build(values, env);
  };
  return Object.assign(registerAs(token, load), {
    variables: Object.keys(variables),
    problems: (env: Env) => check(env).problems,
  });
}
