/** The two calls of `bcrypt` (kelektiv, v6) this server uses; the package ships no types. */
declare module 'bcrypt' {
  /** Resolves whether `data` matches `encrypted` ($2a$ / $2b$); hashing runs in libuv's thread pool. */
  export function compare(data: string, encrypted: string): Promise<boolean>;
  /** A $2b$ hash at `rounds` (tests build old-server hashes with it). */
  export function hash(data: string, rounds: number): Promise<string>;
}
