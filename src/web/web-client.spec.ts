import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { helmetOptions } from './web-client';

/** The Content-Security-Policy header helmet sends with these options. */
function policy(isProduction: boolean): string {
  const headers = new Map<string, string>();
  const response = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    removeHeader: () => undefined,
  } as unknown as ServerResponse;
  helmet(helmetOptions(isProduction))({} as IncomingMessage, response, () => undefined);
  return headers.get('content-security-policy') ?? '';
}

describe('helmetOptions', () => {
  it('should keep upgrade-insecure-requests in production, with the strict script and style sources', () => {
    const csp = policy(true);
    expect(csp).toContain('upgrade-insecure-requests');
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("default-src 'self'");
  });

  it('should leave upgrade-insecure-requests out elsewhere, and nothing else', () => {
    const production = policy(true).split(';');
    const development = policy(false).split(';');
    expect(production.filter((directive) => !development.includes(directive))).toEqual(['upgrade-insecure-requests']);
    expect(development.filter((directive) => !production.includes(directive))).toEqual([]);
  });
});
