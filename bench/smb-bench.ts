// Benchmark: SMB sessions per second (negotiate, session setup, tree connect IPC$, SRVSVC bind,
// NetShareEnumAll, logoff) and memory per open session, Apiary's SMB sensor against Debian's Samba
// smbd on another loopback port in the same run. Both are driven by the same SMB1 client.
// Run: npx tsc -p tsconfig.json && node dist/bench/smb-bench.js   (needs root for smbd; Samba installed)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ByteWriter } from '../src/wire/reader.js';
import { SmbTestClient } from '../test/helpers/smb-client.js';
import { apiaryArgs } from './helpers.js';
import { pssKb } from './proc.js';

const SESSIONS = Number(process.env.SMB_BENCH_SESSIONS ?? 600);
const CONCURRENCY = 4;
const HELD = Number(process.env.SMB_BENCH_HELD ?? 300);
const TIME_LIMIT_MS = 20_000;
const SRVSVC = '4b324fc8-1670-01d3-1278-5a47bf6ee188';

/** NetrShareEnum level 1: ServerName, InfoStruct {1, 1, container {0, NULL}}, PreferedMaximumLength, ResumeHandle NULL. */
function shareEnumStub(): Uint8Array {
  const name = Buffer.from('\\\\127.0.0.1\0', 'utf16le');
  const units = name.length / 2;
  return new ByteWriter(256).u32le(0x00020000).u32le(units).u32le(0).u32le(units).bytes(name).align(4).u32le(1).u32le(1).u32le(0x00020004).u32le(0).u32le(0).u32le(0xffffffff).u32le(0).finish();
}

async function openSession(port: number): Promise<{ c: SmbTestClient; fid: number }> {
  const c = await SmbTestClient.open(port);
  await c.logon();
  await c.treeConnect('\\\\127.0.0.1\\IPC$');
  const fid = await c.openPipe('\\srvsvc');
  const ack = await c.bind(fid, SRVSVC, 3);
  if (ack[2] !== 12) throw new Error('bind refused');
  return { c, fid };
}

async function fullSession(port: number): Promise<void> {
  const { c, fid } = await openSession(port);
  const r = await c.transact(fid, c.rpcRequest(15, shareEnumStub()));
  if (r.data[2] !== 2) throw new Error(`NetShareEnumAll failed (status ${r.status.toString(16)}, ptype ${r.data[2]})`);
  await c.call(0x74, new ByteWriter(4).u8(0xff).u8(0).u16le(0).finish(), new Uint8Array(0));
  c.close();
}

async function rate(port: number): Promise<{ perSecond: number; done: number }> {
  for (let i = 0; i < 20; i++) await fullSession(port);
  let done = 0;
  const start = Date.now();
  const worker = async (): Promise<void> => {
    while (done < SESSIONS && Date.now() - start < TIME_LIMIT_MS) {
      done++;
      await fullSession(port);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { perSecond: (done * 1000) / (Date.now() - start), done };
}

function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function holdSessions(port: number): Promise<SmbTestClient[]> {
  const held: SmbTestClient[] = [];
  for (let i = 0; i < HELD; i++) held.push((await openSession(port)).c);
  await new Promise((r) => setTimeout(r, 500));
  return held;
}

/** Memory growth while HELD sessions stay open, after one warm-up round (JIT, pools, heap growth). */
async function memoryPerSession(port: number, pids: () => number[]): Promise<number> {
  for (const c of await holdSessions(port)) c.close();
  await new Promise((r) => setTimeout(r, 1500));
  const before = pssKb(pids());
  const held = await holdSessions(port);
  const after = pssKb(pids());
  for (const c of held) c.close();
  return (after - before) / HELD;
}

function waitForLine(proc: ChildProcess, re: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolveLine, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${out}`)), ms);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveLine(m);
      }
    });
  });
}

async function startApiary(dir: string): Promise<{ proc: ChildProcess; port: number }> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'apiary.yaml');
  writeFileSync(
    conf,
    `data_dir: ${join(dir, 'data')}\nlog: { level: warn }\nlimits: { per_source_connections: 2000, source_connections_s: 10000000, source_events_s: 10000000, source_event_bytes_s: 1073741824, global_events_s: 10000000, global_event_bytes_s: 1073741824 }\nservices:\n  smb:\n    listen: ['127.0.0.1:0']\n    netbios_listen: []\n`,
  );
  const proc = spawn(process.execPath, apiaryArgs('start', '--config', conf), { stdio: ['ignore', 'pipe', 'inherit'] });
  const m = await waitForLine(proc, /smb\s+listening on 127\.0\.0\.1:(\d+)/, 20_000);
  return { proc, port: Number(m[1]) };
}

async function startSmbd(dir: string, port: number): Promise<ChildProcess> {
  for (const d of ['run', 'lock', 'state', 'cache', 'private', 'ncalrpc', 'share']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'smb.conf');
  writeFileSync(
    conf,
    [
      '[global]',
      '  server min protocol = NT1',
      `  smb ports = ${port}`,
      '  interfaces = 127.0.0.1',
      '  bind interfaces only = yes',
      ...['pid directory', 'lock directory', 'state directory', 'cache directory', 'private dir', 'ncalrpc dir'].map((k) => `  ${k} = ${join(dir, k.split(' ')[0]!)}`),
      `  log file = ${join(dir, 'log.%m')}`,
      '  log level = 0',
      '  map to guest = bad user',
      '  disable netbios = yes',
      '  server role = standalone server',
      '  load printers = no',
      '  disable spoolss = yes',
      '  max connections = 0',
      '[public]',
      `  path = ${join(dir, 'share')}`,
      '  guest ok = yes',
      '',
    ].join('\n'),
  );
  // In a process group of its own: smbd ends by signalling its whole group, which would otherwise be
  // this benchmark and `npm run bench` itself (the benchmarks after this one never ran).
  const proc = spawn('/usr/sbin/smbd', ['--foreground', '--no-process-group', '-s', conf], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 100; i++) {
    try {
      const c = await SmbTestClient.open(port);
      c.close();
      return proc;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('smbd did not start');
}

async function main(): Promise<void> {
  if (!existsSync('/usr/sbin/smbd')) throw new Error('Samba smbd is not installed (apt-get install samba)');
  const dir = mkdtempSync(join(tmpdir(), 'apiary-smb-bench-'));
  const apiary = await startApiary(join(dir, 'apiary'));
  const smbdPort = 20000 + (process.pid % 20000);
  const smbd = await startSmbd(join(dir, 'samba'), smbdPort);
  try {
    const a = await rate(apiary.port);
    const s = await rate(smbdPort);
    const am = await memoryPerSession(apiary.port, () => [apiary.proc.pid!]);
    const sm = await memoryPerSession(smbdPort, () => processesWith(join(dir, 'samba', 'smb.conf')));
    const line = (name: string, r: { perSecond: number; done: number }, kib: number): string =>
      `  ${name.padEnd(12)} ${r.perSecond.toFixed(1).padStart(8)} sessions/s (${r.done} sessions, ${CONCURRENCY} clients)   ${kib.toFixed(1).padStart(8)} KiB per open session (${HELD} held)`;
    console.log('SMB sessions: negotiate, session setup, tree connect, SRVSVC bind, NetShareEnumAll, logoff');
    console.log(line('apiary', a, am));
    console.log(line('samba smbd', s, sm));
    console.log(`  ratio: ${(a.perSecond / s.perSecond).toFixed(2)}x Samba's session rate; ${(am / sm).toFixed(2)}x Samba's memory per session`);
  } finally {
    apiary.proc.kill('SIGTERM');
    smbd.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
