import { throttledAddress } from './client-address';

describe('throttledAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:0:0:1', '2001:db8:1:2::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
    ['not an address', 'not an address'],
  ])('should count %s as %s', (ip, expected) => {
    expect(throttledAddress(ip)).toBe(expected);
  });

  it('should count two addresses of one /64 as one, and of two /64s as two', () => {
    expect(throttledAddress('2001:db8:1:2::a')).toBe(throttledAddress('2001:db8:1:2:ffff::b'));
    expect(throttledAddress('2001:db8:1:2::a')).not.toBe(throttledAddress('2001:db8:1:3::a'));
  });
});
