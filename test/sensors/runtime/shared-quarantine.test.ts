// One quarantine for the whole process: its total quota holds across sensors of different families
// (here an FTP upload with curl, then an SMB upload with smbclient), not once per family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess, tempDir } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/net-tools.js';
import { payloads } from '../../helpers/stored-events.js';

const SMB_HOST = '127.0.0.48';

test('the quarantine quota is shared by every sensor: an FTP upload fills it, an SMB upload after it is refused', async () => {
  const dir = tempDir();
  const apiary = await startApiaryProcess(
    {
      sensor: 'shared-quarantine',
      quarantine: { max_total_bytes: 200_000, max_source_bytes: 200_000 },
      services: { ftp: { listen: ['127.0.0.1:0'] }, smb: { listen: [`${SMB_HOST}:445`], netbios_listen: [], share: { name: 'Scans' }, guest_fallback: false } },
    },
    { dir },
  );
  try {
    const first = join(dir, 'first.bin');
    const second = join(dir, 'second.bin');
    writeFileSync(first, randomBytes(150_000));
    writeFileSync(second, randomBytes(150_000));
    const ftp = await runTool('curl', ['-sS', '-T', first, `ftp://anonymous:a%40b@127.0.0.1:${apiary.ports.ftp}/upload/first.bin`]);
    assert.equal(ftp.code, 0, ftp.stderr);
    const smb = await runTool('smbclient', [`//${SMB_HOST}/Scans`, '-N', '-c', `put ${second} second.bin`], { env: { USER: '', LOGNAME: '' } });
    assert.equal(smb.code, 0, smb.stderr + smb.stdout);
    await apiary.stop();
    const uploads = await payloads<{ filename: string; outcome: string }>(apiary.dir, 'file.upload');
    assert.deepEqual(uploads.map((u) => u.outcome).sort(), ['refused', 'stored'], JSON.stringify(uploads));
    assert.equal(uploads.find((u) => u.outcome === 'stored')?.filename.endsWith('first.bin'), true, JSON.stringify(uploads));
    assert.equal(readdirSync(join(apiary.dir, 'data', 'quarantine')).filter((n) => !n.startsWith('.')).length, 1);
  } finally {
    await apiary.stop();
  }
});
