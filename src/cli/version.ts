// Apiary's version, read from its package.json (a module of its own: `apiary start` needs it without the
// honeynet commands' certificate code).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function apiaryVersion(): string {
  try {
    const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '../../../package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
