// `npm run bench`: runs every compiled bench/*-bench.js in turn (BENCH_ONLY=substring picks some).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH_ONLY;
const benches = readdirSync(here)
  .filter((f) => f.endsWith('-bench.js') && (!only || f.includes(only)))
  .sort();
let failed = 0;
for (const b of benches) {
  process.stdout.write(`== ${b}\n`);
  const r = spawnSync(process.execPath, [join(here, b)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
