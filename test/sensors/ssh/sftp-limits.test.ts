// SFTP uploads written at offsets (ssh2's client, as a hostile one would): one buffer per file, and
// one budget for all the uploads a session has open, so neither many pieces nor many handles hold
// more than MAX_SFTP_SESSION_UPLOAD_BYTES; a byte far past a file's end is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2, { type SFTPWrapper } from 'ssh2';
import { MAX_SFTP_SESSION_UPLOAD_BYTES } from '../../../src/sensors/ssh/sftp-server.js';
import { startApiaryProcess } from '../../helpers/apiary-process.js';

const PASSWORD = 'sftp-limits-1';

/** Apiary with its SSH sensor, and an ssh2 client logged in with an SFTP channel open. */
async function sftpSession(sensor: string) {
  const apiary = await startApiaryProcess({ sensor, auth: [{ user: 'root', password: PASSWORD }], services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } } });
  const conn = new ssh2.Client();
  try {
    await new Promise<void>((resolve, reject) => {
      conn.on('ready', () => resolve()).on('error', reject);
      conn.connect({ host: '127.0.0.1', port: apiary.ports.ssh!, username: 'root', password: PASSWORD, hostVerifier: () => true });
    });
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => conn.sftp((err, s) => (err ? reject(err) : resolve(s))));
    return { apiary, conn, sftp };
  } catch (err) {
    conn.end();
    await apiary.stop();
    throw err;
  }
}

test('two uploads reaching most of the session budget each: the first is kept, the second cut', { timeout: 120_000 }, async () => {
  const { apiary, conn, sftp } = await sftpSession('sftp-limits');
  try {
    const open = (path: string): Promise<Buffer> => new Promise((resolve, reject) => sftp.open(path, 'w', (err, h) => (err ? reject(err) : resolve(h))));
    const write = (h: Buffer, offset: number, data: Buffer): Promise<void> => new Promise((resolve, reject) => sftp.write(h, data, 0, data.length, offset, (err) => (err ? reject(err) : resolve())));
    // The shell's own quota may refuse the file at close; the upload is recorded either way.
    const close = (h: Buffer): Promise<void> => new Promise((resolve) => sftp.close(h, () => resolve()));
    const far = Math.floor(MAX_SFTP_SESSION_UPLOAD_BYTES * 0.6);
    const a = await open('/tmp/a.bin');
    const b = await open('/tmp/b.bin');
    // Written through, in order (a lone byte far past the end is refused as a file of zeros): each
    // file reaches most of the budget.
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (const h of [a, b]) {
      for (let at = 0; at < far; at += chunk.length) await write(h, at, chunk.subarray(0, Math.min(chunk.length, far - at)));
      await write(h, far, Buffer.from('Z'));
    }
    // Many small pieces at distinct offsets go into the one buffer.
    for (let i = 0; i < 2000; i++) await write(a, i * 16, Buffer.from('piece'));
    await close(a);
    await close(b);
    conn.end();
    await apiary.stop();
    const uploads = (await apiary.events()).filter((e) => e.type === 'file.upload');
    const byName = new Map(uploads.map((e) => [String(e.filename), e]));
    assert.equal(byName.get('/tmp/a.bin')?.size, far + 1);
    assert.equal(byName.get('/tmp/a.bin')?.outcome, 'stored');
    assert.equal(byName.get('/tmp/b.bin')?.outcome, 'truncated', JSON.stringify(uploads));
    assert.ok(Number(byName.get('/tmp/b.bin')?.size) < far, 'the second upload is not kept whole');
  } finally {
    conn.end();
    await apiary.stop();
  }
});

test('one byte written far past the end of an SFTP upload is refused: the file is what was written', { timeout: 60_000 }, async () => {
  const { apiary, conn, sftp } = await sftpSession('sftp-sparse');
  try {
    const h = await new Promise<Buffer>((resolve, reject) => sftp.open('/tmp/far.bin', 'w', (err, x) => (err ? reject(err) : resolve(x))));
    for (const [offset, text] of [[0, 'MZ'], [MAX_SFTP_SESSION_UPLOAD_BYTES / 2, 'X']] as const) {
      await new Promise<void>((resolve, reject) => sftp.write(h, Buffer.from(text), 0, text.length, offset, (err) => (err ? reject(err) : resolve())));
    }
    await new Promise<void>((resolve) => sftp.close(h, () => resolve()));
    conn.end();
    await apiary.stop();
    const upload = (await apiary.events()).find((e) => e.type === 'file.upload' && e.filename === '/tmp/far.bin');
    assert.deepEqual([upload?.size, upload?.outcome], [2, 'truncated']);
  } finally {
    conn.end();
    await apiary.stop();
  }
});
