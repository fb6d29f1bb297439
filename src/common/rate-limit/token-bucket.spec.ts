import { TokenBucket } from './token-bucket';

/** A bucket on a clock the test moves; `takes(n)` = how many of n takes at the current time succeed. */
function bucket(perSecond: number, burst?: number) {
  let now = 0;
  const tokens = new TokenBucket(perSecond, () => now, burst);
  return {
    at(ms: number) {
      now = ms;
      return this;
    },
    take: () => tokens.take(),
    takes(n: number) {
      let granted = 0;
      for (let i = 0; i < n; i++) if (tokens.take()) granted++;
      return granted;
    },
  };
}

describe('TokenBucket', () => {
  it('should start full with a burst of twice the rate by default', () => {
    // 2 per second -> burst 4: four takes at once, the fifth refused
    expect(bucket(2).takes(5)).toBe(4);
  });

  it('should start full with the given burst', () => {
    expect(bucket(1, 3).takes(5)).toBe(3);
  });

  it('should refill `perSecond` tokens a second, continuously', () => {
    const b = bucket(2);
    expect(b.takes(4)).toBe(4);
    // 250 ms at 2/s = 0.5 token: not enough
    expect(b.at(250).take()).toBe(false);
    // 500 ms after the last take: 0.5 + 0.5 = 1 token, exactly enough once
    expect(b.at(500).takes(2)).toBe(1);
    // 1.5 s later: 3 tokens
    expect(b.at(2000).takes(5)).toBe(3);
  });

  it('should grant a take with exactly one token, not with less', () => {
    // 1 per second, burst 1: empty after one take at 0
    expect(bucket(1, 1).takes(2)).toBe(1);
    const almost = bucket(1, 1);
    almost.take();
    expect(almost.at(999).take()).toBe(false);
    const exact = bucket(1, 1);
    exact.take();
    expect(exact.at(1000).take()).toBe(true);
  });

  it('should not refill beyond the burst, however long it was idle', () => {
    const b = bucket(2);
    expect(b.takes(4)).toBe(4);
    expect(b.at(3_600_000).takes(10)).toBe(4);
  });

  it('should count the time since the previous take once', () => {
    // 1/s, burst 2, emptied at 0; at 500 ms 0.5 token (refused); at 1000 ms 0.5 + 0.5 = 1: one take, not two
    const b = bucket(1, 2);
    expect(b.takes(2)).toBe(2);
    expect(b.at(500).take()).toBe(false);
    expect(b.at(1000).takes(2)).toBe(1);
  });
});
