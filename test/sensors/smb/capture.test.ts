// Malware capture over tftp and ftp (the schemes worm shellcode uses besides http) into the shared
// quarantine, under the shared fetch policy: allowed targets, refused private ones, byte caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { SharedCapture } from '../../../src/sensors/smb/capture.js';
import { Fetcher, DEFAULT_FETCH_POLICY } from '../../../src/sensors/runtime/fetch.js';
import { Quarantine } from '../../../src/sensors/runtime/quarantine.js';
import { tempDir } from '../../helpers/apiary-process.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A one-file TFTP server (RFC 1350, octet mode, lock-step blocks). */
async function tftpServer(file: Buffer): Promise<{ port: number; close(): void; requests: string[] }> {
  const sock = createSocket('udp4');
  const requests: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const op = msg.readUInt16BE(0);
    const sendBlock = (n: number): void => {
      const body = file.subarray((n - 1) * 512, n * 512);
      sock.send(Buffer.concat([Buffer.from([0, 3, n >> 8, n & 0xff]), body]), rinfo.port, rinfo.address);
    };
    if (op === 1) {
      requests.push(msg.subarray(2, msg.indexOf(0, 2)).toString('latin1'));
      sendBlock(1);
    } else if (op === 4) {
      const n = msg.readUInt16BE(2);
      if ((n - 1) * 512 + 512 <= file.length) sendBlock(n + 1);
    }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => sock.close(), requests };
}

/** A one-file passive-mode FTP server that checks the credentials. */
async function ftpServer(file: Buffer, user: string, pass: string): Promise<{ port: number; close(): void; log: string[] }> {
  const log: string[] = [];
  const dataSrv = createServer();
  await new Promise<void>((r) => dataSrv.listen(0, '127.0.0.1', r));
  const dataPort = (dataSrv.address() as { port: number }).port;
  let pendingData: Socket | undefined;
  dataSrv.on('connection', (s) => (pendingData = s));
  const ctrl = createServer((c) => {
    c.write('220 test ftpd\r\n');
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\r\n'); nl >= 0; nl = buf.indexOf('\r\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        log.push(line);
        const [cmd, arg] = [line.split(' ')[0]!, line.slice(line.indexOf(' ') + 1)];
        if (cmd === 'USER') c.write(arg === user ? '331 password please\r\n' : '530 no\r\n');
        else if (cmd === 'PASS') c.write(arg === pass ? '230 ok\r\n' : '530 no\r\n');
        else if (cmd === 'TYPE') c.write('200 binary\r\n');
        else if (cmd === 'PASV') c.write(`227 Entering Passive Mode (10,9,8,7,${dataPort >> 8},${dataPort & 0xff})\r\n`);
        else if (cmd === 'RETR') {
          c.write('150 here it comes\r\n');
          setTimeout(() => {
            pendingData?.end(file);
            c.write('226 done\r\n');
          }, 20);
        } else c.write('502 no\r\n');
      }
    });
  });
  await new Promise<void>((r) => ctrl.listen(0, '127.0.0.1', r));
  return {
    port: (ctrl.address() as { port: number }).port,
    close: () => {
      ctrl.close();
      dataSrv.close();
    },
    log,
  };
}

function capture(opts: { enabled?: boolean; allow?: string[]; maxBytes?: number } = {}): { cap: SharedCapture; q: Quarantine } {
  const q = new Quarantine({ dir: join(tempDir(), 'quarantine'), maxFileBytes: 1 << 24, maxTotalBytes: 1 << 26 });
  const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: opts.enabled ?? true, allowCidrs: opts.allow ?? ['127.0.0.0/8'], maxBytes: opts.maxBytes ?? 1 << 20, perSourcePerMinute: 10, timeoutMs: 5000 });
  return { cap: new SharedCapture(q, f), q };
}

test('tftp and ftp URLs are fetched into the quarantine under the shared policy', async () => {
  const file = randomBytes(3000);
  const tftp = await tftpServer(file);
  const ftp = await ftpServer(file, 'bot', 's3cret');
  try {
    const { cap, q } = capture();
    const t = await cap.fetch(`tftp://127.0.0.1:${tftp.port}/msblast.exe`, '198.51.100.1');
    assert.ok('file' in t && t.outcome === 'stored', JSON.stringify(t));
    assert.equal(t.file.sha256, sha(file));
    assert.ok(q.has(sha(file)));
    assert.deepEqual(tftp.requests, ['msblast.exe']);
    const f = await cap.fetch(`ftp://bot:s3cret@127.0.0.1:${ftp.port}/w.exe`, '198.51.100.1');
    assert.ok('file' in f && f.outcome === 'duplicate', JSON.stringify(f));
    assert.equal(f.file.sha256, sha(file));
    assert.deepEqual(ftp.log.slice(0, 5), ['USER bot', 'PASS s3cret', 'TYPE I', 'PASV', 'RETR w.exe']);

    const capped = capture({ maxBytes: 1000 }).cap;
    const c = await capped.fetch(`tftp://127.0.0.1:${tftp.port}/msblast.exe`, '198.51.100.2');
    assert.ok('file' in c && c.outcome === 'truncated' && c.file.size === 1000, JSON.stringify(c));

    const strict = capture({ allow: [] }).cap;
    const refused = await strict.fetch(`tftp://127.0.0.1:${tftp.port}/msblast.exe`, '198.51.100.3');
    assert.equal(refused.outcome, 'refused', 'loopback is refused unless allowed');
    const off = capture({ enabled: false }).cap;
    assert.equal((await off.fetch(`ftp://127.0.0.1:${ftp.port}/w.exe`, '198.51.100.4')).outcome, 'disabled');

    // The shared fetch policy's per-source budget (10 a minute here) holds for this sensor's own
    // tftp and ftp clients too, counted with its http fetches, and an IPv6 /64 counts as one source.
    const budget = capture().cap;
    const outcomes: string[] = [];
    for (let i = 0; i < 11; i++) outcomes.push((await budget.fetch(`tftp://127.0.0.1:${tftp.port}/msblast.exe`, `2001:db8:5::${i + 1}`)).outcome);
    assert.deepEqual(outcomes.slice(0, 10).filter((o) => o === 'refused'), []);
    const last = await budget.fetch(`ftp://127.0.0.1:${ftp.port}/w.exe`, '2001:db8:5::99');
    assert.equal(outcomes[10], 'refused');
    assert.match('reason' in last ? last.reason : '', /^rate: more than 10 fetches a minute/);
  } finally {
    tftp.close();
    ftp.close();
  }
});
