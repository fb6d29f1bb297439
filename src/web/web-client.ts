import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { HelmetOptions } from 'helmet';

/**
 * Where `npm run build` puts the web client (web/ compiled by web/tsconfig.json, plus its static
 * files): dist/web. This file runs from dist/src/web once built, or from src/web under ts-jest.
 */
export function webClientDir(): string {
  const root = resolve(__dirname, '../..');
  return __filename.endsWith('.js') ? join(root, 'web') : join(root, 'dist', 'web');
}

/**
 * Serves the built web client at `/` (index.html and its modules). Only files that exist are
 * answered, so every API route, /docs, /health and /ws/... are untouched and an unknown path
 * still gets the JSON 404. Without a build (e2e tests under ts-jest) nothing is served.
 */
export function serveWebClient(app: NestExpressApplication, dir = webClientDir()): void {
  if (!existsSync(join(dir, 'index.html'))) return;
  app.useStaticAssets(dir, {
    index: 'index.html',
    redirect: false,
    // The client is small and changes with each deploy: revalidate (ETag) rather than cache blind.
    setHeaders: (response: ServerResponse) => response.setHeader('Cache-Control', 'no-cache'),
  });
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
