import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, `::` and an IPv4 tail expanded). */
function groupsOf(ipv6: string): number[] {
  let address = ipv6.split('%')[0];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => parseInt(group, 16));
}

/**
 * What a per-address throttle counts for a client: an IPv4 address as it is (also when it
 * arrives IPv4-mapped, `::ffff:203.0.113.7`), an IPv6 address by its /64 — the smallest block
 * a subscriber gets, so rotating through it does not escape the limit. Anything else (a
 * trusted proxy passing junk along) is counted as the text it is.
 */
export function throttledAddress(ip: string): string {
  if (isIPv4(ip) || !isIPv6(ip.split('%')[0])) return ip;
  const groups = groupsOf(ip);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
