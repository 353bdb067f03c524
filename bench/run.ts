// Runs every benchmark script in this folder (compiled: dist/bench/*-bench.js), one after another.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
for (const f of readdirSync(here).filter((n) => n.endsWith('-bench.js')).sort()) {
  if (only.length && !only.some((o) => f.includes(o))) continue;
  await import(pathToFileURL(`${here}/${f}`).href);
}
