import { SecretBox } from './secret-box';

const SECRET = 'a-server-secret-of-at-least-32-bytes!';

describe('SecretBox', () => {
  const box = new SecretBox(SECRET, 'answers');

  it('should open what it sealed for the same context', () => {
    const sealed = box.seal('{"ticket":"abc"}', 'user:1\nkey-1');
    expect(box.open(sealed, 'user:1\nkey-1')).toBe('{"ticket":"abc"}');
  });

  it('should not carry the plaintext, and seal the same value differently each time (random IV)', () => {
    const a = box.seal('HD4-5JK', 'list:1');
    const b = box.seal('HD4-5JK', 'list:1');
    expect(a.includes(Buffer.from('HD4-5JK'))).toBe(false);
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(1 + 12 + 16 + 'HD4-5JK'.length);
  });

  it('should not open a value moved to another row (another context)', () => {
    expect(box.open(box.seal('secret', 'user:1\nkey-1'), 'user:2\nkey-1')).toBeNull();
  });

  it('should not open a value sealed for another purpose or under another secret', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(new SecretBox(SECRET, 'invite-codes').open(sealed, 'ctx')).toBeNull();
    expect(new SecretBox(`${SECRET}-rotated`, 'answers').open(sealed, 'ctx')).toBeNull();
  });

  it('should not open an altered value, nor something that was never sealed', () => {
    const sealed = box.seal('secret', 'ctx');
    for (const index of [0, 5, 20, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[index] ^= 1;
      expect(box.open(altered, 'ctx')).toBeNull();
    }
    expect(box.open(Buffer.from('{"plain":"json"}'), 'ctx')).toBeNull();
    expect(box.open(Buffer.alloc(0), 'ctx')).toBeNull();
  });
});
