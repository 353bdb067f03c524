// Attacker-shaped input that used to hold the event loop: polynomial regexes in grep/sed/awk,
// wildcard patterns in `case`, pathname expansion that multiplies, and endless symlink targets.
// The assertions are on answers and counts, never on time; a test the old code would have run
// for minutes carries a test-level timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_REGEX_BRANCHING, MAX_REGEX_COMMAND_STEPS, MAX_REGEX_STEPS, MAX_REGEX_UNBOUNDED, RegexBudget, regexShape, safeRegExp } from '../../../src/sensors/shell/commands/util.js';
import { GlobBudget, globMatcher, MAX_GLOB_CANDIDATES, MAX_GLOB_MATCH_STEPS } from '../../../src/sensors/shell/shell.js';
import { BaseFs, MAX_SYMLINK_TARGET_BYTES, Overlay, Vfs } from '../../../src/sensors/shell/vfs.js';
import { testShell } from '../../helpers/shell.js';

const MINUTES = { timeout: 120_000 };

test('grep, sed and awk refuse patterns with too many unbounded quantifiers, as too big', MINUTES, async () => {
  const t = testShell({ shell: { seed: 'regex' } });
  const s = t.open();
  // 70 spaces took 2.4 s and 100 more than 25 s before the pattern was refused.
  const spaces = `${' '.repeat(100)}\n`;
  assert.deepEqual(await s.run("grep -c ' * * * * *x'", spaces), { out: 'grep: regular expression too big\n', code: 2 });
  assert.deepEqual(await s.run("sed 's/ * * * * *x/y/'", spaces), { out: 'sed: -e expression #1: Regular expression too big\n', code: 1 });
  assert.equal((await s.run("awk '/ * * * * *x/'", spaces)).code, 2);
  // Exponential shapes stay refused: nested quantifiers, and a?^n a^n.
  assert.equal((await s.run("grep -cE '(a+)+b'", 'aaaa\n')).code, 2);
  assert.equal((await s.run(`grep -cE '${'a?'.repeat(20)}${'a'.repeat(20)}'`, 'aaaa\n')).code, 2);
  await s.end();
});

test('ordinary patterns keep working in grep, sed and awk', async () => {
  const t = testShell({ shell: { seed: 'regex-ok' } });
  const s = t.open();
  const text = 'axxb\nab\nba\nroot:x:0:0:root:/root:/bin/bash\n';
  assert.deepEqual(await s.run("grep -E 'a.*b'", text), { out: 'axxb\nab\n', code: 0 });
  assert.deepEqual(await s.run("grep -c '^root:.*bash$'", text), { out: '1\n', code: 0 });
  assert.deepEqual(await s.run("grep -oE 'x+'", text), { out: 'xx\nx\n', code: 0 });
  assert.deepEqual(await s.run("sed 's/x*/y/g'", 'ab\n'), { out: 'yayby\n', code: 0 });
  assert.deepEqual(await s.run("sed 's/x*//g'", 'axxb\n'), { out: 'ab\n', code: 0 });
  assert.deepEqual(await s.run("sed -E 's/(a)(x+)/\\2\\1/'", 'axxb\n'), { out: 'xxab\n', code: 0 });
  assert.deepEqual(await s.run("awk -F: '$7 ~ /ba.*h$/ {print $1}'", text), { out: 'root\n', code: 0 });
  const ips = 'inet 10.0.0.5 netmask 255.255.255.0\n';
  assert.deepEqual(await s.run("grep -oE '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}'", ips), { out: '10.0.0.5\n255.255.255.0\n', code: 0 });
  await s.end();
});

test('a pattern runs on a prefix of a long line sized to its quantifiers', () => {
  const one = safeRegExp(' *x');
  const two = safeRegExp(' * *x');
  assert.ok(typeof one !== 'string' && typeof two !== 'string');
  assert.equal(one.maxSubject, 4096);
  assert.equal(two.maxSubject, 256);
  // The match is made on the prefix: an x past it is not seen, and one inside is.
  assert.equal(two.test(`${' '.repeat(300)}x`), false);
  assert.equal(two.test(`${' '.repeat(200)}x${' '.repeat(300)}`), true);
  assert.ok(two.budget.spent <= 2 * MAX_REGEX_STEPS);
  // sed's replacement keeps the rest of the line as it was.
  const re = safeRegExp('a', 'g');
  assert.ok(typeof re !== 'string');
  assert.equal(re.replace('bab', 'c'), 'bcb');
  // Patterns without unbounded quantifiers see whole lines.
  const lit = safeRegExp('needle');
  assert.ok(typeof lit !== 'string');
  assert.equal(lit.test(`${'h'.repeat(1 << 20)}needle`), true);
});

test("one command's matching is budgeted: many long lines end in grep's memory exhausted", async () => {
  const t = testShell({ shell: { seed: 'regex-budget' } });
  const s = t.open();
  // Each 4096-space line costs a full MAX_REGEX_STEPS for ' *x'; these lines need more than the budget.
  const lines = Math.ceil(MAX_REGEX_COMMAND_STEPS / MAX_REGEX_STEPS) + 4;
  const input = `${' '.repeat(4096)}\n`.repeat(lines);
  assert.deepEqual(await s.run("grep -c ' *x'", input), { out: 'grep: memory exhausted\n', code: 2 });
  assert.deepEqual(await s.run("sed 's/ *x/y/'", input).then((r) => [r.code, r.out.endsWith("sed: couldn't re-allocate memory\n")]), [4, true]);
  // Short lines do not come near it.
  assert.deepEqual(await s.run("grep -c ' *x'", '  x\n'.repeat(10_000)), { out: '10000\n', code: 0 });
  await s.end();
});

test('property: the cost shape counts unbounded quantifiers and the choices of bounded ones', () => {
  const atom = fc.constantFrom('a', '.', '[ab]', '\\.', '(?:ab)', '\\d');
  const quantifier = fc.constantFrom('', '*', '+', '?', '{2}', '{1,3}', '{2,}', '*?', '+?');
  fc.assert(
    fc.property(fc.array(fc.tuple(atom, quantifier), { maxLength: 8 }), (pieces) => {
      const src = pieces.map(([a, q]) => a + q).join('');
      const qs = pieces.map(([, q]) => q);
      const unbounded = qs.filter((q) => ['*', '+', '{2,}', '*?', '+?'].includes(q)).length;
      const branching = 2 ** qs.filter((q) => q === '?').length * 3 ** qs.filter((q) => q === '{1,3}').length;
      assert.deepEqual(regexShape(src), { unbounded, branching });
      const re = safeRegExp(src);
      assert.equal(typeof re === 'string', unbounded > MAX_REGEX_UNBOUNDED || branching > MAX_REGEX_BRANCHING, src);
    }),
  );
});

test('property: on lines within its prefix, a bounded pattern matches as the plain RegExp does', () => {
  const piece = fc.tuple(fc.constantFrom('a', 'b', '.', '[ab]', '(?:ab|b)'), fc.constantFrom('', '*', '+', '?'));
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), fc.stringMatching(/^[ab ]{0,30}$/), (pieces, line) => {
      const src = pieces.map(([a, q]) => a + q).join('');
      const re = safeRegExp(src, '', new RegexBudget());
      if (typeof re === 'string') return;
      assert.ok(line.length <= re.maxSubject);
      assert.equal(re.test(line), new RegExp(src).test(line), src);
      assert.deepEqual(re.matches(line), [...line.matchAll(new RegExp(src, 'g'))].map((m) => m[0]).filter(Boolean));
    }),
  );
});

/** The RegExp translation the shell used before the wildcard matcher, kept as the reference. */
function oldGlobToRegExp(glob: string): RegExp {
  let re = '^';
  const esc = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) re += esc(glob[++i]!);
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else re += esc(c);
  }
  return new RegExp(`${re}$`, 's');
}

test('property: the wildcard matcher agrees with the old RegExp translation', () => {
  const cls = fc
    .tuple(fc.constantFrom('', '!', '^'), fc.array(fc.constantFrom('a', 'b', 'c', 'a-b', 'b-c', '.', '*', '\\'), { minLength: 1, maxLength: 3 }))
    .map(([neg, members]) => `[${neg}${members.join('')}]`);
  const token = fc.oneof(fc.constantFrom('a', 'b', 'c', '.', '*', '*', '?', '\\*', '\\?', '\\a', '/', '\n'), cls);
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), fc.stringMatching(/^[abc.*?\\/\n-]{0,12}$/), (tokens, s) => {
      const glob = tokens.join('');
      assert.equal(globMatcher(glob)(s), oldGlobToRegExp(glob).test(s), JSON.stringify({ glob, s }));
    }),
    { numRuns: 2000 },
  );
  // Edge cases written out: a trailing backslash and an unclosed bracket are literal.
  assert.equal(globMatcher('a\\')('a\\'), true);
  assert.equal(globMatcher('[ab')('[ab'), true);
  assert.equal(globMatcher('[!]')('x'), true);
});

test('case with many stars against a long subject answers (the RegExp backtracked for minutes)', MINUTES, async () => {
  const t = testShell({ shell: { seed: 'case' } });
  const s = t.open();
  const a = 'a'.repeat(200);
  const r = await s.run(`case ${a} in *a*a*a*a*a*a*b) echo no;; *a*a*a*a*a*a*) echo yes;; esac`);
  assert.deepEqual(r, { out: 'yes\n', code: 0 });
  assert.equal(globMatcher(`*${'a*'.repeat(40)}b`)('a'.repeat(5000)), false);
  await s.end();
});

test('the matching of one expansion, case or find is budgeted, so long names cannot add up', () => {
  // Each of these matches walks about name * pattern / 4 steps before failing.
  const budget = new GlobBudget();
  const match = globMatcher(`*${'a'.repeat(2000)}b`, budget);
  const name = 'a'.repeat(4000);
  const answers = Array.from({ length: 200 }, () => match(name));
  assert.ok(answers.every((x) => !x));
  assert.equal(budget.exhausted, true);
  assert.ok(budget.steps <= MAX_GLOB_MATCH_STEPS + 1);
  // Ordinary matches are nowhere near it.
  const small = new GlobBudget();
  assert.equal(globMatcher('*.tar.gz', small)('backup-2024.tar.gz'), true);
  assert.ok(!small.exhausted && small.steps < 100);
});

test('pathname expansion gives up past MAX_GLOB_CANDIDATES and leaves the word as typed', MINUTES, async () => {
  const t = testShell({ shell: { seed: 'glob' } });
  const s = t.open();
  assert.ok(MAX_GLOB_CANDIDATES >= 1000);
  // Every `*` then `..` multiplies the paths by the entries of /: three levels pass the cap.
  const three = `${'/*/..'.repeat(3)}/*`;
  assert.deepEqual(await s.run(`echo ${three}`), { out: `${three}\n`, code: 0 });
  // 35 levels held the event loop for 20 s.
  const many = `${'/*/..'.repeat(35)}/*`;
  assert.deepEqual(await s.run(`echo ${many}`), { out: `${many}\n`, code: 0 });
  // Ordinary expansion is unchanged.
  assert.deepEqual(await s.run('echo /etc/pass*'), { out: '/etc/passwd\n', code: 0 });
  const one = (await s.run('echo /*/..')).out.trim().split(' ');
  assert.ok(one.length > 10 && one.includes('/etc/..') && one.every((p) => /^\/[^/]+\/\.\.$/.test(p)), one.join(' '));
  await s.end();
});

test('symlink targets: PATH_MAX at most, and lookups stop growing paths', MINUTES, async () => {
  const t = testShell({ shell: { seed: 'links' } });
  const s = t.open();
  // 14000 characters cost 1.4 s per lookup and stayed in the overlay: now refused as Linux does.
  const huge = 'x/'.repeat(7000);
  assert.deepEqual(await s.run(`cd /tmp; ln -s ${huge} x`), { out: "ln: failed to create symbolic link 'x': File name too long\n", code: 1 });
  assert.deepEqual(await s.run('cd /tmp; test -e x; echo $?'), { out: '1\n', code: 0 });
  assert.equal((await s.run(`cd /tmp; ln -s ${'a'.repeat(MAX_SYMLINK_TARGET_BYTES + 1)} y`)).code, 1);
  assert.equal((await s.run(`cd /tmp; ln -s ${'a'.repeat(MAX_SYMLINK_TARGET_BYTES)} y`)).code, 0);
  // A link to itself repeated as long as allowed: each hop would splice it in again.
  const self = 'x/'.repeat((MAX_SYMLINK_TARGET_BYTES - 1) / 2);
  assert.equal((await s.run(`cd /tmp; ln -s ${self} x`)).code, 0);
  assert.deepEqual(await s.run('cd /tmp; cat x/y'), { out: 'cat: x/y: File name too long\n', code: 1 });
  await s.end();
});

test('the overlay counts link targets in its byte quota, and drops over-long ones saved before the cap', () => {
  const vfs = new Vfs(new BaseFs(), new Overlay(), { maxBytes: 10_000, maxEntries: 100 });
  assert.equal(vfs.mkdir('/tmp'), undefined);
  assert.equal(vfs.symlink('/etc/passwd', '/tmp/p'), undefined);
  assert.equal(vfs.overlay.bytes, '/etc/passwd'.length);
  assert.equal(vfs.remove('/tmp/p', false), undefined);
  assert.equal(vfs.overlay.bytes, 0);
  assert.equal(vfs.symlink('x'.repeat(MAX_SYMLINK_TARGET_BYTES + 1), '/tmp/q'), 'ENAMETOOLONG');
  const long = 'b'.repeat(MAX_SYMLINK_TARGET_BYTES);
  assert.deepEqual(['/tmp/l1', '/tmp/l2', '/tmp/l3'].map((p) => vfs.symlink(long, p)), [undefined, undefined, 'ENOSPC']);
  assert.equal(vfs.overlay.bytes, 2 * MAX_SYMLINK_TARGET_BYTES);
  const meta = { mode: 0o777, uid: 0, gid: 0, mtimeMs: 0 };
  const saved = { createdMs: 0, nodes: [['/tmp', { kind: 'dir', ...meta }], ['/tmp/ok', { kind: 'link', ...meta, target: 'a/b' }], ['/tmp/long', { kind: 'link', ...meta, target: 'x/'.repeat(7000) }]] };
  const ov = Overlay.fromJSON(saved, { maxBytes: 10_000, maxEntries: 100 });
  assert.ok(ov);
  assert.deepEqual([...ov.nodes.keys()], ['/tmp', '/tmp/ok']);
  assert.equal(ov.bytes, 3);
});
