import { newInviteCode, newResetCode, normalizeInviteCode } from './secrets';

describe('secrets', () => {
  it('should make invite codes XXX-XXX (7 characters, what the app’s join field takes) from the Crockford alphabet', () => {
    const codes = Array.from({ length: 500 }, newInviteCode);
    for (const code of codes) {
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$/);
      expect(code).toHaveLength(7);
    }
    // 32^6 codes: 500 draws collide with probability ~1e-4.
    expect(new Set(codes).size).toBeGreaterThanOrEqual(codes.length - 1);
  });

  it('should read invite codes case-insensitively, without dash, folding I/L to 1 and O to 0', () => {
    expect(normalizeInviteCode('a4f92k')).toBe('A4F-92K');
    expect(normalizeInviteCode(' a4f-92k ')).toBe('A4F-92K');
    expect(normalizeInviteCode('IL0-OAB')).toBe('110-0AB');
    expect(normalizeInviteCode('A4F-92')).toBeNull();
    expect(normalizeInviteCode('A4F-92U')).toBeNull();
    expect(normalizeInviteCode('K7QF-2MZC')).toBeNull();
  });

  it('should make six-digit reset codes, keeping leading zeros', () => {
    const codes = Array.from({ length: 2000 }, newResetCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });
});
