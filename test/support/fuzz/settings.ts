import fc from 'fast-check';

const fcAssert = fc.assert.bind(fc) as <T>(p: fc.IAsyncProperty<T>, params: fc.Parameters<T>) => Promise<void>;

/** The seed every fuzz run uses unless FUZZ_SEED says otherwise (`FUZZ_SEED=random` for a new one each run). */
const DEFAULT_SEED = 20_251_203;

function seed(): number {
  const given = process.env.FUZZ_SEED;
  if (given === 'random') return Math.floor(Math.random() * 2 ** 31);
  return given ? Number(given) : DEFAULT_SEED;
}

/**
 * fast-check parameters of a fuzz property: `numRuns` runs, a fixed seed so a failure replays. fast-check prints the seed and the path of the
 * counterexample on failure: `FUZZ_SEED=<seed>` reruns the same requests.
 */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns, seed: seed(), endOnFailure: true };
}

/** `runs`, unless FUZZ_RUNS says otherwise. */
export function runsPerOperation(runs: number): number {
  return process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : runs;
}

/** Jest's per-test timeout for a fuzz property whose runs take about `msPerRun` each. */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return 30_000 + runsPerOperation(runs) * msPerRun;
}

/** A failure message with long repetitions (huge strings, deep nesting) folded: `z×300000`, `{"a":×5000`. */
export function folded(message: string): string {
  return message
    .replace(/(.)\1{40,}/gs, (run: string, c: string) => `${c}×${run.length}`)
    .replace(/(.{2,8}?)\1{20,}/gs, (run: string, unit: string) => `(${unit})×${run.length / unit.length}`);
}

/** fc.assert, with the failure message folded so that a huge counterexample stays readable. */
export async function assertFuzz<T>(property: fc.IAsyncProperty<T>, parameters: fc.Parameters<T>): Promise<void> {
  try {
    await fcAssert(property, parameters);
  } catch (error) {
    if (error instanceof Error) error.message = folded(error.message);
    throw error;
  }
}
