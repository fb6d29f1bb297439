import { existsSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import type { HelmetOptions } from 'helmet';

/**
 * Where `npm run build` puts the web client (web/ compiled by web/tsconfig.json, plus its static
 * files): dist/web. This file runs from dist/src/web once built, or from src/web under ts-jest.
 */
export function webClientDir(): string {
  const root = resolve(__dirname, '../..');
  return __filename.endsWith('.js') ? join(root, 'web') : join(root, 'dist', 'web');
}

/** The URL paths of the client's files (`/`, `/main.js`, `/views/auth.js`…), read once at boot. */
export function clientPaths(dir: string): Set<string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  const paths = files.map((file) => `/${relative(dir, join(file.parentPath, file.name)).split(sep).join('/')}`);
  return new Set(['/', ...paths]);
}

type Handler = (req: IncomingMessage & { path: string }, res: ServerResponse, next: () => void) => void;

/**
 * Hands `serve` the GETs and HEADs of the client's own paths, and nothing else: every API
 * request would otherwise cost a file-system lookup of its path (serve-static stats
 * dist/web/lists/<id> before passing it on), measured as server CPU per request in `npm run bench`.
 */
export function clientFilesOnly(paths: Set<string>, serve: Handler): Handler {
  return (req, res, next) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && paths.has(req.path)) serve(req, res, next);
    else next();
  };
}

/**
 * Serves the built web client at `/` (index.html and its modules). Only the client's own files
 * are answered, so every API route, /docs, /health and /ws/... are untouched and an unknown path
 * still gets the JSON 404. Without a build (e2e tests under ts-jest) nothing is served.
 */
export function serveWebClient(app: NestExpressApplication, dir = webClientDir()): void {
  if (!existsSync(join(dir, 'index.html'))) return;
  const serve = express.static(dir, {
    index: 'index.html',
    redirect: false,
    // The client is small and changes with each deploy: revalidate (ETag) rather than cache blind.
    setHeaders: (response: ServerResponse) => response.setHeader('Cache-Control', 'no-cache'),
  }) as unknown as Handler;
  app.use(clientFilesOnly(clientPaths(dir), serve));
}

/**
 * helmet with its strict defaults (scripts and styles from this origin only, no inline script),
 * except `upgrade-insecure-requests` outside production: over plain http from another machine
 * (a phone on the LAN trying a development server) it turns every script and style request of
 * the page into https, which that server does not speak, and the page stays blank. Production
 * is served over https (PUBLIC_URL must be https there), where it keeps the directive.
 */
export function helmetOptions(isProduction: boolean): HelmetOptions {
  return { contentSecurityPolicy: { directives: { upgradeInsecureRequests: isProduction ? [] : null } } };
}
