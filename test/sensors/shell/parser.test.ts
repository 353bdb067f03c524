// The shell parser: what it accepts, and that hostile input never throws, stays fast and is capped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_INPUT_CHARS, MAX_NESTING, parseShell, wordLiteral, type SimpleCommand } from '../../../src/sensors/shell/parser.js';

function firstSimple(line: string): SimpleCommand {
  const r = parseShell(line);
  assert.equal(r.status, 'ok', JSON.stringify(r));
  if (r.status !== 'ok') throw new Error('unreachable');
  const c = r.list.items[0]!.cmd.first.cmds[0]!;
  assert.equal(c.kind, 'simple');
  return c as SimpleCommand;
}

test('quotes, escapes and operators parse as bash reads them', () => {
  const c = firstSimple(`echo 'a b' "c \\"d\\"" e\\ f`);
  assert.deepEqual(c.words.map(wordLiteral), ['echo', 'a b', 'c "d"', 'e f']);
  const r = parseShell('a && b || c; d | e & f');
  assert.equal(r.status, 'ok');
  if (r.status === 'ok') {
    assert.equal(r.list.items.length, 3);
    assert.deepEqual(r.list.items.map((i) => i.bg), [false, true, false]);
    assert.deepEqual(r.list.items[0]!.cmd.rest.map((x) => x.op), ['&&', '||']);
  }
  const redir = firstSimple('cat < in > out 2>&1 >> log');
  assert.deepEqual(redir.redirs.map((x) => [x.fd, x.op, wordLiteral(x.target)]), [[0, '<', 'in'], [1, '>', 'out'], [2, '>&', '1'], [1, '>>', 'log']]);
});

test('substitutions, variables and compound commands are structured', () => {
  const c = firstSimple('echo $(uname -a) `id` ${HOME:-/root} $((1+2))');
  assert.deepEqual(c.words.slice(1).map((w) => w.parts[0]!.t), ['sub', 'sub', 'var', 'arith']);
  for (const line of ['if true; then echo y; elif false; then :; else echo n; fi', 'for i in 1 2 3; do echo $i; done', 'while read l; do echo $l; done < f', 'f() { echo hi; }; f', '( cd /tmp && ls )', '{ echo a; echo b; } > out']) {
    assert.equal(parseShell(line).status, 'ok', line);
  }
});

test('unfinished input asks for more; errors are bash syntax errors', () => {
  for (const line of ['echo "abc', "echo 'x", 'ls |', 'true &&', 'if true; then echo', 'for i in 1; do', 'cat <<EOF', 'echo $(ls']) {
    assert.equal(parseShell(line).status, 'incomplete', line);
  }
  const bad = parseShell(';;');
  assert.equal(bad.status, 'malformed');
  if (bad.status === 'malformed') assert.match(bad.reason, /syntax error near unexpected token/);
  assert.equal(parseShell('fi').status, 'malformed');
});

test('caps: over-long input and over-deep nesting are refused, not parsed', () => {
  assert.deepEqual(parseShell('a'.repeat(MAX_INPUT_CHARS + 1)), { status: 'malformed', reason: 'input too long' });
  const deep = `${'$('.repeat(MAX_NESTING + 2)}x${')'.repeat(MAX_NESTING + 2)}`;
  const r = parseShell(`echo ${deep}`);
  assert.equal(r.status, 'malformed');
  const backticks = parseShell(`echo ${'`'.repeat(4000)}`);
  assert.notEqual(backticks.status, undefined);
});

const SHELLISH = fc.constantFrom('echo', ' ', ';', '&&', '||', '|', '&', '>', '>>', '<', '2>&1', '$(', ')', '`', '"', "'", '\\', '$X', '${Y:-z}', '$((', '))', 'if', 'then', 'fi', 'for', 'in', 'do', 'done', 'while', '{', '}', '(', '\n', '<<E', 'E', '#', '!', '*', 'a=b');

test('property: any input never throws, answers in under 50 ms, and respects the length cap', () => {
  // A running sensor parses with warm code; compile the parser's paths first so the clock measures parsing.
  for (let i = 0; i < 20; i++) for (const t of ['echo "a $(b `c`) ${d:-e}" | f > g 2>&1 && h || i; j &', 'for i in 1; do while x; do if y; then z; fi; done; done', "cat <<E\nx\nE\n$((1+2)) 'q' \\ *"]) parseShell(t.repeat(50));
  // The machine is shared: time is this process's CPU time, best of three runs, so another
  // program's burst cannot fail the test while a slow (say quadratic) parser still fails all three.
  const cpuMs = (fn: () => void): number => {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  };
  const check = (s: string): void => {
    let r = parseShell(s);
    let ms = Infinity;
    for (let i = 0; i < 3 && ms >= 50; i++) ms = Math.min(ms, cpuMs(() => (r = parseShell(s))));
    assert.ok(['ok', 'incomplete', 'malformed'].includes(r.status));
    assert.ok(ms < 50, `took ${ms.toFixed(1)} ms for ${JSON.stringify(s.slice(0, 80))}`);
    if (s.length > MAX_INPUT_CHARS) assert.equal(r.status, 'malformed');
  };
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => check(s)), { numRuns: 2000 });
  fc.assert(fc.property(fc.array(SHELLISH, { maxLength: 300 }).map((a) => a.join('')), (s) => check(s)), { numRuns: 2000 });
  // Deeply nested and maximum-length inputs, built on purpose.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 400 }), fc.constantFrom(['$(', ')'], ['`', '`'], ['(', ')'], ['{ ', '; }'], ['"$(', ')"']), (n, [open, close]) => check(`echo ${open!.repeat(n)}x${close!.repeat(n)}`)),
    { numRuns: 300 },
  );
  fc.assert(fc.property(SHELLISH, (tok) => check(tok.repeat(Math.ceil(MAX_INPUT_CHARS / tok.length)).slice(0, MAX_INPUT_CHARS))), { numRuns: 60 });
});
