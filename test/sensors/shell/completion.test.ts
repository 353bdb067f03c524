// Tab completion at the fake shell's prompt, as bash's readline does it: commands, paths, variables,
// the bell and the list on a second Tab; and what Tab is without a terminal.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { complete, MAX_COMPLETION_CANDIDATES, type CompletionSource } from '../../../src/sensors/shell/completion.js';
import { testShell } from '../../helpers/shell.js';

/** A small filesystem: absolute path → 'dir' | 'exec' | 'file'. */
function source(tree: Record<string, 'dir' | 'exec' | 'file'>, o: { cwd?: string; words?: string[]; vars?: string[] } = {}): CompletionSource {
  const kinds = new Map(Object.entries(tree));
  kinds.set('/', 'dir');
  return {
    cwd: o.cwd ?? '/root',
    home: '/root',
    list: (dir) => (kinds.get(dir) === 'dir' ? [...kinds.keys()].filter((p) => p !== '/' && p.slice(0, p.lastIndexOf('/')) === (dir === '/' ? '' : dir)).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort() : undefined),
    kind: (p) => kinds.get(p),
    commandWords: () => o.words ?? ['cd', 'echo', 'if'],
    path: () => '/usr/bin:/bin',
    variables: () => o.vars ?? ['HOME', 'HOSTNAME', 'PATH'],
  };
}

const TREE = {
  '/root': 'dir',
  '/root/notes.txt': 'file',
  '/root/.bashrc': 'file',
  '/root/my file': 'file',
  '/etc': 'dir',
  '/etc/passwd': 'file',
  '/etc/hosts': 'file',
  '/etc/hostname': 'file',
  '/etc/ssh': 'dir',
  '/usr': 'dir',
  '/usr/bin': 'dir',
  '/usr/bin/wget': 'exec',
  '/usr/bin/whoami': 'exec',
  '/usr/bin/wall.txt': 'file',
  '/bin': 'dir',
  '/bin/echo': 'exec',
} as const;

test('a word completes as bash completes it: one match in full, several as far as they agree', () => {
  const src = source(TREE);
  assert.deepEqual(complete('cat /etc/pa', src), { insert: 'sswd ', matches: [] });
  assert.deepEqual(complete('cat /etc/s', src), { insert: 'sh/', matches: [] }, 'a directory gets a slash, no space');
  assert.deepEqual(complete('cat /etc/ho', src), { insert: 'st', matches: ['hostname', 'hosts'] });
  assert.deepEqual(complete('cat /etc/host', src), { insert: '', matches: ['hostname', 'hosts'] });
  assert.deepEqual(complete('cat no', src), { insert: 'tes.txt ', matches: [] }, 'relative to the working directory');
  assert.deepEqual(complete('cat ~/no', src), { insert: 'tes.txt ', matches: [] }, '~ is the home');
  assert.deepEqual(complete('cat /nothing/x', src), { insert: '', matches: [] });
});

test('command position completes commands from the builtins and $PATH, executables only; elsewhere files', () => {
  const src = source(TREE);
  assert.deepEqual(complete('wh', src), { insert: 'oami ', matches: [] });
  assert.deepEqual(complete('w', src), { insert: '', matches: ['wget', 'whoami'] }, 'wall.txt is not executable');
  assert.deepEqual(complete('ls; ec', src), { insert: 'ho ', matches: [] }, 'after ; a new command starts');
  assert.deepEqual(complete('ls | wg', src), { insert: 'et ', matches: [] });
  assert.deepEqual(complete('if wh', src), { insert: 'oami ', matches: [] }, 'after a reserved word');
  assert.deepEqual(complete('echo wh', src), { insert: '', matches: [] }, 'an argument is a file name');
  assert.deepEqual(complete('/usr/bin/wh', src), { insert: 'oami ', matches: [] }, 'a path in command position');
});

test('cd completes directories only; hidden names only when asked for; names are escaped', () => {
  const src = source(TREE, { cwd: '/' });
  assert.deepEqual(complete('cd /etc/', src), { insert: 'ssh/', matches: [] });
  assert.deepEqual(complete('cat /root/', src).matches, ['my file', 'notes.txt']);
  assert.deepEqual(complete('cat /root/.b', src), { insert: 'ashrc ', matches: [] });
  assert.deepEqual(complete('cat /root/m', src), { insert: 'y\\ file ', matches: [] });
  assert.deepEqual(complete('cat /root/my\\ f', src), { insert: 'ile ', matches: [] }, 'an escaped space is part of the word');
  assert.deepEqual(complete('cat "/root/m', src), { insert: '', matches: [] }, 'inside an open quote: nothing');
});

test('variables complete after $ and ${', () => {
  const src = source(TREE);
  assert.deepEqual(complete('echo $PA', src), { insert: 'TH ', matches: [] });
  assert.deepEqual(complete('echo ${PA', src), { insert: 'TH} ', matches: [] });
  assert.deepEqual(complete('echo $HO', src), { insert: '', matches: ['$HOME', '$HOSTNAME'] });
});

test('completion never throws and stays bounded, whatever the line', () => {
  const big: Record<string, 'dir' | 'exec' | 'file'> = { '/usr': 'dir', '/usr/bin': 'dir' };
  for (let i = 0; i < MAX_COMPLETION_CANDIDATES + 50; i++) big[`/usr/bin/x${i}`] = 'exec';
  const src = source({ ...TREE, ...big });
  assert.ok(complete('x', src).matches.length <= MAX_COMPLETION_CANDIDATES);
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (line) => {
      const c = complete(line, src);
      assert.ok(typeof c.insert === 'string' && c.matches.length <= MAX_COMPLETION_CANDIDATES);
    }),
    { numRuns: 500 },
  );
});

test('at a real prompt Tab completes, rings, and lists on the second Tab; the line then runs as completed', async () => {
  const sh = testShell();
  const s = sh.open('203.0.113.9', { pty: true });
  s.login();
  assert.equal((await s.type('cat /etc/pass\t')).toString(), 'cat /etc/passwd ');
  const ran = (await s.type('\r')).toString();
  assert.match(ran, /^root:x:0:0:root:\/root:\/bin\/bash$/m);
  assert.equal((await s.type('ls /etc/ho\t')).toString(), 'ls /etc/host\x07', 'as far as they agree, and the bell');
  const listed = (await s.type('\t')).toString();
  assert.match(listed, /^\r\nhostname {2}hosts\r\n.*# ls \/etc\/host$/);
  await s.type('\x15');
  assert.equal((await s.type('ls /etc/host\t')).toString(), 'ls /etc/host\x07', 'nothing to add: the bell');
  assert.match((await s.type('\t')).toString(), /^\r\nhostname {2}hosts\r\n/);
  await s.type('\x15');
  // An empty line offers every command, after asking.
  assert.equal((await s.type('\t')).toString(), '\x07');
  assert.match((await s.type('\t')).toString(), /^\r\nDisplay all \d+ possibilities\? \(y or n\)$/);
  assert.match((await s.type('n')).toString(), /^\r\n.*# $/);
  assert.equal((await s.type('cd /u\t')).toString(), 'cd /usr/');
  await s.end();
});

test('what is typed is echoed as the bytes it was; backspace takes a whole character', async () => {
  const sh = testShell();
  const s = sh.open('203.0.113.9', { pty: true });
  s.login();
  assert.deepEqual(await s.type('echo é'), Buffer.from('echo é'));
  assert.deepEqual(await s.type('\x7f'), Buffer.from('\b \b'));
  assert.match((await s.type('ü\r')).toString(), /^ü\r\nü\r\n/, 'the line ran as echo ü');
  await s.end();
});

test('without a terminal a Tab is part of the line, as bash reads a pipe', async () => {
  const sh = testShell();
  const s = sh.open('203.0.113.9', { pty: false });
  s.session.start({ motd: false });
  const out = (await s.type('printf "[%s]" a\tb\n')).toString();
  assert.equal(out, '[a][b]');
  await s.end();
});
