import { newInviteCode, newResetCode, normalizeInviteCode } from './secrets';

describe('secrets', () => {
  it('should make invite codes XXXX-XXXX from the Crockford alphabet, all different', () => {
    const codes = Array.from({ length: 500 }, newInviteCode);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('should read invite codes case-insensitively, without dash, folding I/L to 1 and O to 0', () => {
    expect(normalizeInviteCode('k7qf2mzc')).toBe('K7QF-2MZC');
    expect(normalizeInviteCode(' k7qf-2mzc ')).toBe('K7QF-2MZC');
    expect(normalizeInviteCode('IL0O-ABCD')).toBe('1100-ABCD');
    expect(normalizeInviteCode('K7QF-2MZ')).toBeNull();
    expect(normalizeInviteCode('K7QF-2MZU')).toBeNull();
  });

  it('should make six-digit reset codes, keeping leading zeros', () => {
    const codes = Array.from({ length: 2000 }, newResetCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });
});
