import { VerifiedTokens } from './verified-tokens';

interface Claims {
  sub: string;
}

describe('VerifiedTokens', () => {
  const EXP = 1_800_000_000; // seconds
  let now: number;
  const tokens = (capacity = 3) => new VerifiedTokens<Claims>(capacity, () => now);

  beforeEach(() => (now = EXP * 1000 - 5_000));

  it('should give back the claims a token was verified to carry', () => {
    const memo = tokens();
    memo.remember('a.b.c', { sub: 'ana', exp: EXP });
    expect(memo.recall('a.b.c')).toEqual({ sub: 'ana', exp: EXP });
    expect(memo.recall('a.b.d')).toBeUndefined();
  });

  it('should give nothing from the second its exp is reached, as jsonwebtoken refuses it, and forget it', () => {
    const memo = tokens();
    memo.remember('t', { sub: 'ana', exp: EXP });
    now = EXP * 1000 - 1;
    expect(memo.recall('t')).toEqual({ sub: 'ana', exp: EXP });
    now = EXP * 1000;
    expect(memo.recall('t')).toBeUndefined();
    expect(memo.size).toBe(0);
    now = EXP * 1000 - 1; // a clock stepping back does not bring it back
    expect(memo.recall('t')).toBeUndefined();
  });

  it('should not remember a token without a numeric exp', () => {
    const memo = tokens();
    memo.remember('no-exp', { sub: 'ana' });
    memo.remember('text-exp', { sub: 'ana', exp: String(EXP) });
    expect(memo.recall('no-exp')).toBeUndefined();
    expect(memo.recall('text-exp')).toBeUndefined();
    expect(memo.size).toBe(0);
  });

  it('should forget the oldest token past its capacity, and keep the count at the capacity', () => {
    const memo = tokens(2);
    memo.remember('t1', { sub: '1', exp: EXP });
    memo.remember('t2', { sub: '2', exp: EXP });
    memo.remember('t1', { sub: '1', exp: EXP }); // already there: nothing forgotten
    expect(memo.size).toBe(2);
    memo.remember('t3', { sub: '3', exp: EXP });
    expect(memo.size).toBe(2);
    expect(memo.recall('t1')).toBeUndefined();
    expect(memo.recall('t2')).toEqual({ sub: '2', exp: EXP });
    expect(memo.recall('t3')).toEqual({ sub: '3', exp: EXP });
  });

  it('should remember nothing with a capacity of 0', () => {
    const memo = tokens(0);
    memo.remember('t', { sub: 'ana', exp: EXP });
    expect(memo.recall('t')).toBeUndefined();
  });
});
