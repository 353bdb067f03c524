// One session must never take the process down or hold the event loop: variable sizes, argv size,
// a line's work budget (with an injected clock, never a wall-clock assertion), the terminal cap,
// printf widths, sort input, script nesting and the interactive history are all bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testShell, type TestShell } from '../../helpers/shell.js';
import { KILLED_STATUS, MAX_COMMAND_CHARS, MAX_LINE_WORK_MS, MAX_STEPS_PER_LINE, MAX_TERMINAL_BYTES, MAX_VARIABLES_CHARS, MAX_WORD_CHARS, Shell } from '../../../src/sensors/shell/shell.js';
import { MAX_HISTORY_LINES } from '../../../src/sensors/shell/session.js';
import { BoundedStringMap } from '../../../src/sensors/shell/variables.js';
import { Vfs } from '../../../src/sensors/shell/vfs.js';
import { MAX_PRINTF_CHARS, MAX_PRINTF_WIDTH, formatPrintf } from '../../../src/sensors/shell/commands/printf.js';
import type { ReadLine } from '../../../src/sensors/shell/types.js';

const DOUBLING =
  'a=xxxxxxxxxxxxxxxx; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24; do a=$a$a; done; ' +
  'for v in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do export V$v=${a}$v; done';

function valueChars(env: Map<string, string>): number {
  let n = 0;
  for (const [k, v] of env) n += k.length + v.length;
  return n;
}

test('a variable doubled in a loop stops at the word cap; exports past the session total fail; the session goes on', async () => {
  const t = testShell({ shell: { seed: 'limits-vars' } });
  const s = t.open();
  const r = await s.run(DOUBLING);
  assert.equal(r.code, 1);
  assert.match(r.out, /^-bash: xmalloc: cannot allocate \d+ bytes/m);
  const env = s.session.shell.env;
  assert.equal(env.get('a')!.length, MAX_WORD_CHARS);
  for (const v of env.values()) assert.ok(v.length <= MAX_WORD_CHARS);
  assert.ok(valueChars(env) <= MAX_VARIABLES_CHARS, `${valueChars(env)} characters of variables`);
  assert.ok(env.has('V1') && !env.has('V20'));
  // The session still answers, and a failed assignment leaves the variable as it was.
  const after = await s.run('echo ok; W1=$a W2=$a W3=$a; echo "[${W3-unset}]"');
  assert.ok(after.out.length < 200, `${after.out.length} characters`);
  assert.match(after.out, /^ok\n-bash: xmalloc: cannot allocate \d+ bytes \(\d+ bytes allocated\)\n\[unset\]\n$/);
  // One command's words together are bounded too, as exec's "Argument list too long".
  const big = await s.run('echo "$a" "$a" "$a" "$a" "$a" | wc -c');
  assert.equal(big.out, '-bash: echo: Argument list too long\n0\n');
  assert.ok(5 * MAX_WORD_CHARS > MAX_COMMAND_CHARS);
  await s.end();
});

test('a word of many references to a long variable is cut at the word cap, quoted or not', async () => {
  const t = testShell({ shell: { seed: 'limits-word' } });
  const s = t.open();
  await s.run('a=xxxxxxxxxxxxxxxx; for i in $(seq 17); do a=$a$a; done');
  const r = await s.run('b="$a$a$a$a$a$a$a$a"; c=$a$a$a$a; d=${b}${c}; echo ${#a} ${#b} ${#c} ${#d}');
  assert.equal(r.out, `${MAX_WORD_CHARS} ${MAX_WORD_CHARS} ${MAX_WORD_CHARS} ${MAX_WORD_CHARS}\n`);
  await s.end();
});

test('BoundedStringMap: any run of sets and deletes stays within its limits and counts its characters exactly', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constantFrom('a', 'b', 'cc', 'ddd', 'e'), v: fc.string({ maxLength: 40 }) }),
    fc.record({ del: fc.constantFrom('a', 'b', 'cc', 'ddd', 'e') }),
    fc.constant({ clear: true as const }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const m = new BoundedStringMap({ entries: 3, chars: 50, value: 20 });
      for (const o of ops) {
        if ('clear' in o) m.clear();
        else if ('del' in o) m.delete(o.del);
        else {
          const fits = m.fits(o.k, o.v);
          const before = m.get(o.k);
          m.set(o.k, o.v);
          assert.equal(m.get(o.k), fits ? o.v.slice(0, 20) : before);
        }
        assert.ok(m.size <= 3);
        assert.ok(m.totalChars <= 50);
        assert.equal(m.totalChars, valueChars(m));
      }
    }),
  );
});

/** A shell run directly, with an injected work clock and terminal. */
function directShell(t: TestShell, workClock: () => number, readLine: ReadLine = async () => undefined): Shell {
  const vfs = new Vfs(t.env.base, t.env.overlays.acquire('203.0.113.77'), t.env.quota, 0);
  return new Shell({
    profile: t.env.profile,
    vfs,
    hooks: {},
    commands: t.env.commands,
    user: { name: 'root', uid: 0, gid: 0, home: '/root' },
    terminal: { width: 80, height: 24, interactive: false, tty: '/dev/pts/0', remoteIp: '203.0.113.77', loginMs: 0 },
    readLine,
    workClock,
  });
}

async function run(sh: Shell, line: string): Promise<{ out: string; code: number }> {
  let out = '';
  const w = (d: string | Buffer): void => void (out += d.toString());
  const r = await sh.runLine(line, { out: w, err: w });
  return { out, code: r.exitCode };
}

test('a line that works past MAX_LINE_WORK_MS is killed, and it lets the event loop run while it works', async () => {
  const t = testShell({ shell: { seed: 'limits-budget' } });
  // Every reading of the clock is one millisecond of work: the budget runs out after a few hundred commands.
  let now = 0;
  const sh = directShell(t, () => ++now);
  let turns = 0;
  let spinning = true;
  const spin = (): void => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const r = await run(sh, 'i=0; while :; do i=$((i+1)); done; echo never');
  spinning = false;
  assert.deepEqual(r, { out: 'Killed\n', code: KILLED_STATUS });
  assert.ok(turns > 0, 'the event loop ran during the line');
  const i = Number((await run(sh, 'echo $i')).out);
  assert.ok(i > 0 && i < MAX_LINE_WORK_MS && i < MAX_STEPS_PER_LINE / 3, `${i} passes`);
  // The next line has its own budget.
  assert.deepEqual(await run(sh, 'echo fresh'), { out: 'fresh\n', code: 0 });
});

test('time spent waiting for the terminal is not work', async () => {
  const t = testShell({ shell: { seed: 'limits-wait' } });
  let now = 0;
  const sh = directShell(t, () => now, async () => {
    now += 100 * MAX_LINE_WORK_MS;
    return 'typed';
  });
  assert.deepEqual(await run(sh, 'read x; read y; echo got $x $y'), { out: 'got typed typed\n', code: 0 });
});

test('the terminal cap cuts a write to what is left of it, and printf widths are capped before the string is built', async () => {
  const t = testShell({ shell: { seed: 'limits-term' } });
  const s = t.open();
  const three = await s.run("printf '%1000000s' x; printf '%1000000s' y; printf '%1000000s' z");
  assert.equal(Buffer.byteLength(three.out), MAX_TERMINAL_BYTES);
  const wide = await s.run("printf '%500000000s' x");
  assert.equal(wide.out.length, MAX_PRINTF_WIDTH);
  assert.equal((await s.run("awk 'BEGIN { printf(\"%900000000s\", \"x\") }' | wc -c")).out, `${MAX_PRINTF_WIDTH}\n`);
  assert.equal(formatPrintf('%.999999999s|', ['abc']).text, 'abc|');
  assert.equal(formatPrintf('%.102f', ['0.5']).text, `0.5${'0'.repeat(101)}`);
  assert.equal(formatPrintf('%1000000s', Array.from({ length: 10 }, () => 'x')).text.length, MAX_PRINTF_CHARS);
  await s.end();
});

test('sort refuses more lines than it can sort at once, and still sorts by key', async () => {
  const t = testShell({ shell: { seed: 'limits-sort' } });
  const s = t.open();
  assert.equal((await s.run('{ seq 100000; seq 100000; seq 100000; } | sort | wc -l')).out, 'sort: memory exhausted\n0\n');
  assert.equal((await s.run('seq 100000 | sort -k1 -t, -rn | head -2')).out, '100000\n99999\n');
  assert.equal((await s.run("printf 'b,2\\na,10\\nc,3\\n' | sort -t, -k2 -n")).out, 'b,2\nc,3\na,10\n');
  await s.end();
});

test('scripts started by commands count toward the nesting limit', async () => {
  const t = testShell({ shell: { seed: 'limits-nest' } });
  const s = t.open();
  const r = await s.run('f() { sh -c f; }; f; echo after');
  assert.equal(r.out, 'sh: maximum nesting level exceeded\nafter\n');
  await s.end();
});

test('the interactive history keeps the last MAX_HISTORY_LINES lines', async () => {
  const t = testShell({ shell: { seed: 'limits-history' } });
  const s = t.open();
  const history = s.session.shell.history;
  const total = MAX_HISTORY_LINES + 100;
  for (let i = 0; i < total; i++) {
    s.session.feed(Buffer.from(`true ${i}\r`));
    for (let spins = 0; history[history.length - 1] !== `true ${i}` && spins < 100; spins++) await new Promise((r) => setImmediate(r));
  }
  assert.equal(history.length, MAX_HISTORY_LINES);
  assert.equal(history[0], `true ${total - MAX_HISTORY_LINES}`);
  assert.equal(history[history.length - 1], `true ${total - 1}`);
  await s.end();
});

test('functions one session may define are capped; redefining one still works; the session goes on', async () => {
  const { MAX_FUNCTIONS } = await import('../../../src/sensors/shell/shell.js');
  const t = testShell({ shell: { seed: 'limits-functions' } });
  const s = t.open();
  const r = await s.run(`for i in $(seq ${MAX_FUNCTIONS + 50}); do eval "f$i() { echo $i; }"; done; f1; f${MAX_FUNCTIONS}`);
  assert.equal(r.out.match(/^-bash: xmalloc: cannot allocate \d+ bytes \(\d+ functions allocated\)$/gm)?.length, 50);
  assert.ok(r.out.endsWith(`\n1\n${MAX_FUNCTIONS}\n`), r.out.slice(-40));
  assert.equal(s.session.shell.functions.size, MAX_FUNCTIONS);
  const again = await s.run('f1() { echo again; }; f1');
  assert.equal(again.out, 'again\n');
});
