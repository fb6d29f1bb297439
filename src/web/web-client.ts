import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';

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
