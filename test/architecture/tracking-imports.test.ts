// The tracking layers keep the dependency direction of DESIGN.md: enrich and analysis never reach up
// into alerts, reports, the CLI or sensors, and no sensor imports any of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { sourceFiles as files } from '../helpers/source-files.js';


/** Top-level folder under src/ of each relative import in FILE. */
function importedParts(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const parts: string[] = [];
  for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
    const target = relative(resolve('src'), resolve(dirname(file), m[1]!));
    parts.push(target.split('/')[0]!);
  }
  return parts;
}

const FORBIDDEN: Record<string, string[]> = {
  enrich: ['analysis', 'alerts', 'report', 'cli', 'collector', 'sensors', 'web'],
  analysis: ['alerts', 'report', 'cli', 'collector', 'sensors', 'web'],
  report: ['alerts', 'cli', 'collector', 'sensors', 'web'],
  alerts: ['report', 'cli', 'collector', 'sensors', 'web'],
  store: ['enrich', 'analysis', 'alerts', 'report', 'cli', 'collector', 'sensors'],
  sensors: ['enrich', 'analysis', 'alerts', 'report', 'store', 'collector', 'cli', 'web'],
};

test('tracking code keeps the dependency direction', () => {
  const bad: string[] = [];
  for (const [part, forbidden] of Object.entries(FORBIDDEN)) {
    for (const f of files(join('src', part))) {
      for (const target of importedParts(f)) if (forbidden.includes(target)) bad.push(`${f} imports ${target}/`);
    }
  }
  assert.deepEqual(bad, []);
});
