// Commands attackers and bots run on a fresh login, answered as Debian 12's coreutils, findutils,
// procps, bash and libc-bin answer them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testShell } from '../../helpers/shell.js';

async function shell(seed = 'cmds', o: { username?: string } = {}): Promise<{ run(cmd: string, stdin?: string): Promise<{ out: string; code: number }>; t: ReturnType<typeof testShell>; end(): Promise<void> }> {
  const t = testShell({ shell: { seed } });
  const s = t.open('203.0.113.9', o);
  return { run: s.run, t, end: s.end };
}

test('xargs runs its command through the fake shell: default echo, -n, -I, -0, -r, statuses', async () => {
  const s = await shell();
  assert.deepEqual(await s.run("printf \"a 'b c' d\\\\ e\\n\" | xargs -n1 echo"), { out: 'a\nb c\nd e\n', code: 0 });
  assert.deepEqual(await s.run('printf "1\\n2\\n3\\n" | xargs'), { out: '1 2 3\n', code: 0 });
  assert.deepEqual(await s.run("printf 'a b\\nc d\\n' | xargs -I{} echo [{}]"), { out: '[a b]\n[c d]\n', code: 0 });
  assert.deepEqual(await s.run("printf 'a b\\0c\\0' | xargs -0 -n1 echo"), { out: 'a b\nc\n', code: 0 });
  assert.deepEqual(await s.run('printf "" | xargs echo x'), { out: 'x\n', code: 0 });
  assert.deepEqual(await s.run('printf "" | xargs -r echo x'), { out: '', code: 0 });
  assert.deepEqual(await s.run('echo 1 2 3 4 5 | xargs -n 2'), { out: '1 2\n3 4\n5\n', code: 0 });
  assert.deepEqual(await s.run('echo x | xargs xmrig'), { out: 'xargs: xmrig: No such file or directory\n', code: 127 });
  assert.deepEqual(await s.run('echo x | xargs false'), { out: '', code: 123 });
  assert.deepEqual(await s.run("echo \"it's\" | xargs"), { out: 'xargs: unmatched single quote; by default quotes are special to xargs unless you use the -0 option\n', code: 1 });
  // The miner-killer one-liner: the pid found by ps ends up in kill, which fails for a made-up one.
  const r = await s.run("ps aux | grep -v grep | grep cron | awk '{print $2}' | xargs kill -0");
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(await s.run('echo 999999 | xargs kill -9'), { out: "kill: (999999): No such process\n", code: 123 });
  await s.end();
});

test('timeout runs the command in the emulation and answers 124 when the time runs out', async () => {
  const s = await shell();
  assert.deepEqual(await s.run('timeout 0.2 sleep 5; echo $?'), { out: '124\n', code: 0 });
  assert.deepEqual(await s.run('timeout 0.2 sh -c "sleep 5; echo late"; echo $?'), { out: '124\n', code: 0 });
  assert.deepEqual(await s.run('timeout -s KILL 0.2 sleep 5; echo $?'), { out: '137\n', code: 0 });
  assert.deepEqual(await s.run('timeout 5 echo hi; echo $?'), { out: 'hi\n0\n', code: 0 });
  assert.deepEqual(await s.run('timeout 5 sh -c "exit 3"; echo $?'), { out: '3\n', code: 0 });
  assert.deepEqual(await s.run('timeout x sleep 1'), { out: "timeout: invalid time interval ‘x’\nTry 'timeout --help' for more information.\n", code: 125 });
  assert.deepEqual(await s.run('timeout 1 xmrig'), { out: 'timeout: failed to run command ‘xmrig’: No such file or directory\n', code: 127 });
  await s.end();
});
