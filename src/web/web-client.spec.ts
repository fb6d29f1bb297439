import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFilesOnly, clientPaths, helmetOptions } from './web-client';

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

describe('clientPaths', () => {
  it("should list the client's files as URL paths, nested ones included, and /", () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-client-'));
    try {
      mkdirSync(join(dir, 'views'));
      for (const file of ['index.html', 'main.js', 'views/auth.js']) writeFileSync(join(dir, file), '');
      expect([...clientPaths(dir)].sort()).toEqual(['/', '/index.html', '/main.js', '/views/auth.js']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('clientFilesOnly', () => {
  const route = (method: string, path: string) => {
    const served: string[] = [];
    const passed: string[] = [];
    const gate = clientFilesOnly(new Set(['/', '/main.js']), (req) => served.push(req.path));
    gate({ method, path } as IncomingMessage & { path: string }, {} as ServerResponse, () => passed.push(path));
    return { served, passed };
  };

  it("should hand the client's own paths to the static handler, for GET and HEAD", () => {
    expect(route('GET', '/')).toEqual({ served: ['/'], passed: [] });
    expect(route('HEAD', '/main.js')).toEqual({ served: ['/main.js'], passed: [] });
  });

  it('should pass every other request on without touching the file system', () => {
    expect(route('GET', '/lists/3f1c')).toEqual({ served: [], passed: ['/lists/3f1c'] });
    expect(route('POST', '/main.js')).toEqual({ served: [], passed: ['/main.js'] });
    expect(route('GET', '/main.js.bak')).toEqual({ served: [], passed: ['/main.js.bak'] });
  });
});
