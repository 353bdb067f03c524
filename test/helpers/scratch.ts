// Temporary directories a test file removes when it is done: call `after(removeScratch)` once.
import { rmSync } from 'node:fs';
import { tempDir } from './apiary-process.js';

const made: string[] = [];

export function scratchDir(prefix: string): string {
  const d = tempDir(prefix);
  made.push(d);
  return d;
}

export function removeScratch(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
