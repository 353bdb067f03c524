// String handling an attacker's input reaches must stay linear (or run within a counted budget): each
// of these inputs held the event loop, and with it every sensor, for seconds on the old code. The
// assertions are on answers, refusals and counts, never on time; the inputs sized so that the old
// quadratic code ran for tens of seconds carry a test-level timeout as a guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_AWK_WORK, splitBinary } from '../../../src/sensors/shell/commands/awk.js';
import { MAX_COUNTED_SPAN, regexShape, safeRegExp } from '../../../src/sensors/shell/commands/util.js';
import { formatPrintf } from '../../../src/sensors/shell/commands/printf.js';
import { GlobBudget, globMatcher } from '../../../src/sensors/shell/shell.js';
import { MAX_CUT_RANGES } from '../../../src/sensors/shell/commands/text-tools.js';
import { MAX_CONTINUATION_LINES, MAX_CONTINUATION_PARSE_MS } from '../../../src/sensors/shell/session.js';
import { testShell } from '../../helpers/shell.js';

/** Old code took 10-40 s on these inputs (2-core machine); the fixed code a fraction of a second. */
const GUARD = { timeout: 5_000 };
/** A turn of the event loop, so the timeout guard can fire after a call that blocked it. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

test('a counted repeat past MAX_COUNTED_SPAN costs as an unbounded quantifier, so the line is cut', () => {
  for (const src of ['.{20000}x', '.{10000,10016}x', `.{${'9'.repeat(30)}}x`, '\\u{20000}', `a{${MAX_COUNTED_SPAN + 1}}`]) assert.deepEqual(regexShape(src), { unbounded: 1, branching: 1 }, src);
  // Small counts stay bounded choices, as before.
  assert.deepEqual(regexShape('[0-9]{1,3}\\.x{2}'), { unbounded: 0, branching: 3 });
  assert.deepEqual(regexShape(`a{${MAX_COUNTED_SPAN}}`), { unbounded: 0, branching: 1 });
  const re = safeRegExp('.{20000}x');
  assert.ok(typeof re !== 'string');
  assert.equal(re.maxSubject, 4096);
});

test('grep and sed with .{20000}x on a long line answer from its prefix (3.2 s at 40,000 characters)', GUARD, async () => {
  const s = testShell({ shell: { seed: 'counted' } }).open();
  assert.deepEqual(await s.run("printf '%120000s\\n' | grep -cE '.{20000}x'"), { out: '0\n', code: 1 });
  assert.deepEqual(await s.run("printf '%120000s\\n' | grep -c '.\\{20000\\}x'"), { out: '0\n', code: 1 });
  assert.deepEqual(await s.run("printf '%120000s\\n' | sed -E 's/.{20000}x/y/' | wc -c"), { out: '120001\n', code: 0 });
  // Within the prefix the pattern still matches.
  assert.deepEqual(await s.run("printf '%30sx\\n' | grep -cE '.{30}x'"), { out: '1\n', code: 0 });
  await s.end();
});

test('cut merges its ranges once and caps their count (524,288 ranges took 6.2 s)', GUARD, async () => {
  const s = testShell({ shell: { seed: 'cut' } }).open();
  // Ordinary lists: any order, overlaps and open ends print in input order, each item once.
  assert.deepEqual(await s.run('echo abcdefg | cut -c 5-,1-2,2-3'), { out: 'abcefg\n', code: 0 });
  assert.deepEqual(await s.run('echo a:b:c:d | cut -d: -f3,1,1'), { out: 'a:c\n', code: 0 });
  assert.deepEqual(await s.run('echo abcdef | cut -c -2,4'), { out: 'abd\n', code: 0 });
  // A list with more ranges than MAX_CUT_RANGES fails as out of memory.
  const many = await s.run(`R=$(seq ${MAX_CUT_RANGES + 1} | tr '\\n' ,)1; printf '%1000s\\n' | cut -c "$R"`);
  assert.deepEqual(many, { out: 'cut: memory exhausted\n', code: 1 });
  // Just under the cap the list works, on a long line too.
  const under = await s.run(`R=$(seq 2 2 ${2 * (MAX_CUT_RANGES - 1)} | tr '\\n' ,)1; printf '%20000s\\n' | tr ' ' x | cut -c "$R" | wc -c`);
  assert.deepEqual(under, { out: `${MAX_CUT_RANGES + 1}\n`, code: 0 }); // and the newline
  // One long malformed item is read in one pass (/^(\d*)(-?)(\d*)$/ took 1 s at 40,000 digits).
  assert.deepEqual(await s.run(`R=$(printf '%200000s' | tr ' ' 1)x; echo abc | cut -c "$R"`), { out: 'a\n', code: 0 });
  await s.end();
});

test('base64 -w wraps by slicing ((.{W}) with the g flag took 2.9 s on 40 KB)', GUARD, async () => {
  const s = testShell({ shell: { seed: 'base64' } }).open();
  assert.deepEqual(await s.run('printf abcdefgh | base64 -w 4'), { out: 'YWJj\nZGVm\nZ2g=\n', code: 0 });
  assert.deepEqual(await s.run('printf abcdefgh | base64 -w 0'), { out: 'YWJjZGVmZ2g=', code: 0 });
  assert.deepEqual(await s.run("printf '%90000s' | base64 -w 100000 | wc -c"), { out: '120002\n', code: 0 }); // a 100,000 and a 20,000 line
  await s.end();
});

test('$(...) drops trailing newlines with a loop (/\\n+$/ took 1.3 s on 40,000 newlines before an a)', GUARD, async () => {
  const s = testShell({ shell: { seed: 'subst' } }).open();
  assert.deepEqual(await s.run("x=$(printf '%160000sa' | tr ' ' '\\n'); echo ${#x}"), { out: '160001\n', code: 0 });
  assert.deepEqual(await s.run("x=$(printf 'a\\n\\nb\\n\\n\\n'); echo \"[$x]\""), { out: '[a\n\nb]\n', code: 0 });
  await s.end();
});

test('basename and dirname trim slashes with a loop (/\\/+$/ took 1.46 s on 40,000 slashes before an a)', GUARD, async () => {
  const s = testShell({ shell: { seed: 'basename' } }).open();
  assert.deepEqual(await s.run("p=$(printf '%160000s' | tr ' ' /)a; basename \"$p\"; dirname \"$p\" | wc -c"), { out: 'a\n160000\n', code: 0 });
  assert.deepEqual(await s.run('basename /usr/lib///; dirname /usr/lib///; basename /; dirname lib'), { out: 'lib\n/usr\n/\n.\n', code: 0 });
  await s.end();
});

test("tar reads grouped flags up to f or C by search (/[fC].*$/ took 1.9 s on 40,000 f's before a newline)", GUARD, async () => {
  const s = testShell({ shell: { seed: 'tar' } }).open();
  const tar = await s.run("tar \"$(printf -- '-%160000s\\nx' | tr ' ' f)\"");
  assert.equal(tar.code, 2);
  assert.match(tar.out, /^tar: You must specify one of/);
  await settle();
  await s.end();
});

test("wget finds a grouped -q without backtracking (/^-[a-zA-Z]*q[a-zA-Z]*$/ took 1.08 s on 40,000 q's and a digit)", GUARD, async () => {
  const s = testShell({ shell: { seed: 'wget' } }).open();
  const wget = await s.run("wget \"$(printf -- '-%200000s1' | tr ' ' q)\"");
  assert.equal(wget.code, 1);
  assert.match(wget.out, /^wget: missing URL/);
  await settle();
  await s.end();
});

test('a bracket class is merged and searched, not scanned per character (400K members: 7.9 s for 4000)', GUARD, async () => {
  const budget = new GlobBudget();
  const match = globMatcher(`*[${'a'.repeat(1_000_000)}]`, budget);
  assert.equal(match('b'.repeat(20_000)), false);
  assert.equal(match(`${'b'.repeat(20_000)}a`), true);
  assert.equal(budget.exhausted, false);
  // Negation, ranges (reversed ones match nothing), overlaps and members out of order.
  assert.equal(globMatcher('[!z-a]')('q'), true);
  assert.equal(globMatcher('[x-za-cb-d]')('d'), true);
  assert.equal(globMatcher('[x-za-cb-d]')('w'), false);
  assert.equal(globMatcher('[^a-c0-9]')('5'), false);
  const s = testShell({ shell: { seed: 'class' } }).open();
  assert.deepEqual(await s.run('R=$(printf "%400000s" | tr " " a); s=$(printf "%4000s" | tr " " b); case $s in *[$R]) echo y;; *) echo n;; esac'), { out: 'n\n', code: 0 });
  await s.end();
});

test('a pattern of many [ without ] compiles in one pass (512K took 1.75 s)', GUARD, async () => {
  const glob = '['.repeat(2_000_000);
  const budget = new GlobBudget();
  assert.equal(globMatcher(glob, budget)(glob), true);
  assert.equal(globMatcher(glob, budget)('a'), false);
  assert.equal(globMatcher('[a[b]')('[b'), false);
  assert.equal(globMatcher('[a[b]')('a'), true);
  assert.equal(globMatcher('x[a')('x[a'), true);
  await settle();
});

test('printf: \\c stops all output as in bash, so rounds do not re-walk a format printing nothing', GUARD, async () => {
  const s = testShell({ shell: { seed: 'printf' } }).open();
  assert.deepEqual(await s.run("printf 'a\\cb'; printf '%s\\c' 1 2 3; printf '%b|' x 'y\\cz' w"), { out: 'a1x|y', code: 0 });
  // Each round used to walk the whole format and print nothing (1 MiB of \c, 50 rounds: 1.85 s).
  assert.deepEqual(await s.run('printf "%s\\c\\c" $(seq 50)'), { out: '1', code: 0 });
  assert.equal(formatPrintf(`%s${'\\c'.repeat(500_000)}`, Array.from({ length: 1000 }, (_, i) => String(i))).text, '0');
  assert.equal(formatPrintf('trailing \\', []).text, 'trailing \\');
  await s.end();
});

test('printf: 0 is a flag, never the start of a width (/%([-+ #0]*)(\\d+)?.../ took 6.2 s on 40,000 zeros)', GUARD, async () => {
  const zeros = `%${'0'.repeat(80_000)}`;
  assert.equal(formatPrintf(zeros, []).text, zeros);
  assert.equal(formatPrintf('%05d|%-3s|%0*d|%.2f|%%', ['42', 'a', '7', '1.5']).text, '00042|a  |7|1.50|%');
  await settle();
});

/** The inputs of the command.input events recorded so far. */
function inputs(events: { type: string; payload?: unknown }[]): string[] {
  return events.filter((e) => e.type === 'command.input').map((e) => (e.payload as { input: string }).input);
}

test('a command continued over more than MAX_CONTINUATION_LINES lines is dropped, and the next one runs', GUARD, async () => {
  const t = testShell({ shell: { seed: 'continuation' } });
  const s = t.open();
  // Each newline re-parsed the whole command: one packet of ( and 16,380 newlines took 4.85 s.
  for (let i = 0; i < 3; i++) s.session.feed(Buffer.from(`(${'\n'.repeat(16_380)}`));
  s.session.feed(Buffer.from(`${'a|'.repeat(2000)}${'\n'.repeat(4000)}`));
  s.session.feed(Buffer.from('echo ok\n'));
  for (let spins = 0; !inputs(t.events).includes('echo ok') && spins < 1000; spins++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(inputs(t.events), ['echo ok']);
  const busy = (): boolean => (s.session as unknown as { busy: boolean }).busy;
  for (let spins = 0; busy() && spins < 1000; spins++) await new Promise((r) => setImmediate(r));
  // Within the cap a continued command still runs whole.
  s.session.feed(Buffer.from(`for i in 1 2\n${'\n'.repeat(MAX_CONTINUATION_LINES - 3)}do echo $i; done\n`));
  for (let spins = 0; inputs(t.events).length < 2 && spins < 1000; spins++) await new Promise((r) => setImmediate(r));
  assert.equal(inputs(t.events)[1], `for i in 1 2\n${'\n'.repeat(MAX_CONTINUATION_LINES - 3)}do echo $i; done`);
  await s.end();
});

test('one packet of continuation lines never holds the event loop for long, and a costly continued command is dropped by its parse time', GUARD, async () => {
  const t = testShell({ shell: { seed: 'continuation-turns' } });
  const s = t.open();
  // 8 KB: 4,000 pipes then 300 newlines. Each newline re-parsed the 8 KB command, all in one turn of
  // the event loop: 1.2 s here, during which no other session, sensor or timer ran.
  let last = performance.now();
  let longest = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 2);
  try {
    const started = performance.now();
    s.session.feed(Buffer.from(`${'a|'.repeat(4000)}${'\n'.repeat(300)}echo after\n`));
    longest = Math.max(longest, performance.now() - started);
    for (let spins = 0; !inputs(t.events).includes('echo after') && spins < 10_000; spins++) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(inputs(t.events), ['echo after'], 'the continued command was dropped, the next line ran');
    assert.ok(performance.now() - started < 20 * MAX_CONTINUATION_PARSE_MS, 'dropped by its parse time, not after every line');
  } finally {
    clearInterval(probe);
  }
  // Generous (the slices are 20 ms): the old single turn was 1.2 s.
  assert.ok(longest < 400, `the event loop was held for ${longest.toFixed(0)} ms`);
  await s.end();
});

test('awk compiles its program once and budgets records x program size (2030 +s cost 3.8 ms a record)', GUARD, async () => {
  const s = testShell({ shell: { seed: 'awk' } }).open();
  assert.deepEqual(await s.run("seq 5 | awk '{s+=$1; n++} END {print s, n, NR}'"), { out: '15 5 5\n', code: 0 });
  assert.deepEqual(await s.run(`echo "3 4" | awk '{print $1*$2, $1-$2, $1 "-" $2, $1 / $2; printf("%s|%s\\n", $2, NF)}'`), { out: '12 -1 3-4 0.75\n4|2\n', code: 0 });
  assert.deepEqual(await s.run("printf 'a b\\nc d\\n' | awk -F' ' '$1 == \"c\" {x = $2} END {print x}'"), { out: 'd\n', code: 0 });
  // Records times program characters past MAX_AWK_WORK end as out of memory, after the output so far.
  const prog = `{print ${'+'.repeat(2030)} x y}`;
  const r = await s.run(`seq 10000 | awk '${prog}'`);
  assert.equal(r.code, 2);
  assert.ok(r.out.endsWith('\nawk: out of memory\n'), r.out.slice(-40));
  assert.equal(r.out.split('\n').length - 2, Math.floor(MAX_AWK_WORK / prog.length));
  // A short program reads far more records.
  assert.deepEqual(await s.run("seq 100000 | awk '{n++} END {print n}'"), { out: '100000\n', code: 0 });
  await s.end();
});

test('property: splitBinary splits as /^(\\S+)\\s*([-+*/])\\s*(\\S+)$/ did', () => {
  const old = /^(\S+)\s*([-+*/])\s*(\S+)$/;
  fc.assert(
    fc.property(fc.stringMatching(/^[1a$+\-*/ \t]{0,12}$/), (raw) => {
      const t = raw.trim();
      const m = old.exec(t);
      assert.deepEqual(splitBinary(t), m ? { left: m[1], op: m[2], right: m[3] } : undefined, JSON.stringify(t));
    }),
    { numRuns: 5000 },
  );
});
