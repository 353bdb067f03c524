// The dependency direction of DESIGN.md as a check over the import graph (sensor containment is
// test/sensors/containment.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { sourceFiles } from '../helpers/source-files.js';

const SRC = resolve('src');
/** The part of src a file belongs to: its first folder (store/sqlite counts as store/sqlite). */
function part(file: string): string {
  const rel = relative(SRC, file).split('/');
  if (rel[0] === 'store' && rel.length > 2) return `store/${rel[1]}`;
  return rel[0]!;
}

function imports(file: string): { spec: string; target?: string }[] {
  const text = readFileSync(file, 'utf8');
  const out: { spec: string; target?: string }[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = (m[1] ?? m[2])!;
    out.push(spec.startsWith('.') ? { spec, target: resolve(dirname(file), spec.replace(/\.js$/, '.ts')) } : { spec });
  }
  return out;
}

/** part -> parts it must never import. */
const FORBIDDEN: Record<string, string[]> = {
  sensors: ['store', 'store/sqlite', 'store/postgres', 'collector', 'analysis', 'web', 'cli', 'importers', 'exporters', 'report', 'transport', 'enrich'],
  events: ['sensors', 'store', 'store/sqlite', 'store/postgres', 'collector', 'analysis', 'web', 'cli', 'importers', 'exporters', 'report', 'transport', 'enrich', 'config'],
  wire: ['sensors', 'events', 'store', 'store/sqlite', 'store/postgres', 'collector', 'analysis', 'web', 'cli', 'config'],
  store: ['sensors', 'collector', 'analysis', 'web', 'cli', 'importers', 'report', 'transport'],
  'store/sqlite': ['sensors', 'collector', 'analysis', 'web', 'cli', 'importers', 'report', 'transport'],
  'store/postgres': ['sensors', 'collector', 'analysis', 'web', 'cli', 'importers', 'report', 'transport'],
  analysis: ['sensors', 'collector', 'web', 'cli', 'store/sqlite', 'store/postgres', 'transport'],
  collector: ['sensors', 'web', 'cli'],
  transport: ['store', 'store/sqlite', 'store/postgres', 'analysis', 'web', 'cli'],
  exporters: ['sensors', 'collector', 'web', 'cli', 'store/sqlite', 'store/postgres', 'transport', 'importers'],
  // The dashboard reads through the store interfaces; the CLI hands it a back end.
  web: ['store/sqlite', 'store/postgres', 'collector', 'transport', 'importers'],
};

test('imports flow one way: sensors -> events; analysis -> store interface; nothing imports the CLI', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = part(file);
    for (const imp of imports(file)) {
      if (!imp.target) continue;
      const to = part(imp.target);
      if (to === 'cli' && from !== 'cli') violations.push(`${relative(SRC, file)} imports the CLI (${imp.spec})`);
      if (FORBIDDEN[from]?.includes(to)) violations.push(`${relative(SRC, file)} (${from}) must not import ${to} (${imp.spec})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the checker sees real imports (guards against a regex that matches nothing)', () => {
  const all = sourceFiles(SRC).flatMap((f) => imports(f));
  assert.ok(all.some((i) => i.spec === 'ssh2'));
  assert.ok(all.filter((i) => i.target).length > 20);
});
