import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replaces the section under `heading` (up to the next `## `) of docs/BENCHMARKS.md with
 * `body`, or appends it; the other sections stay as they are. npm runs scripts from the
 * package root, so the path is relative to the working directory.
 */
export function writeBenchmarkSection(heading: string, body: string): void {
  const target = join(process.cwd(), 'docs', 'BENCHMARKS.md');
  const section = `${heading}\n\n${body}\n`;
  if (!existsSync(target)) {
    writeFileSync(target, `# Benchmarks\n\n${section}`);
    return;
  }
  const current = readFileSync(target, 'utf8');
  const start = current.indexOf(heading);
  if (start < 0) {
    writeFileSync(target, `${current.trimEnd()}\n\n${section}`);
    return;
  }
  const rest = current.slice(start + heading.length);
  const next = rest.search(/\n## /);
  const after = next < 0 ? '' : rest.slice(next + 1);
  writeFileSync(target, `${current.slice(0, start)}${section}${after ? `\n${after}` : ''}`);
}
