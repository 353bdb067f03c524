// Real-client tests of the share keeping what a source wrote: smbclient puts, lists and gets back a
// file and makes a directory (SMB2 and SMB1), and impacket from another source address sees none of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startApiaryProcess, tempDir, waitFor } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/run-tool.js';

const HOST = '127.0.0.49';
const PY = '/usr/bin/python3';
const NT1 = ['--option=client min protocol=NT1', '--option=client max protocol=NT1'];
const ANON = { env: { USER: '', LOGNAME: '' } };

test('a file or directory a source writes to a share is there when it looks, and only for it', async () => {
  const dir = tempDir();
  const apiary = await startApiaryProcess({ sensor: 'smb-files', services: { smb: { listen: [`${HOST}:445`], netbios_listen: [], share: { name: 'Public' } } } }, { dir });
  try {
    const smb = (commands: string, proto: string[] = []) => runTool('smbclient', [`//${HOST}/Public`, '-N', ...proto, '-c', commands], ANON);
    // Larger than one 64 KiB read, so the file comes back over several reads.
    const content = randomBytes(150_000);
    const sha = createHash('sha256').update(content).digest('hex');
    writeFileSync(join(dir, 'x'), content);

    // SMB2: put, then ls and get in the same command line (served while the quarantine stores it, or from there).
    const first = await smb(`put ${join(dir, 'x')} up.txt; ls; get up.txt ${join(dir, 'back1')}`);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /^\s+up\.txt\s+A\s+150000 /m);
    assert.equal(createHash('sha256').update(readFileSync(join(dir, 'back1'))).digest('hex'), sha);

    // A later connection (the bytes now come from the quarantine); the name is case-insensitive, its case kept.
    await waitFor(async () => (await apiary.events(['--type', 'file.upload'])).length >= 1, 10_000, 200);
    const later = await smb(`mkdir d; ls; get UP.TXT ${join(dir, 'back2')}; ls d\\*`);
    assert.equal(later.code, 0, later.stderr + later.stdout);
    assert.match(later.stdout, /^\s+d\s+D\s+0 /m);
    assert.match(later.stdout, /^\s+up\.txt\s+A\s+150000 /m);
    assert.equal(createHash('sha256').update(readFileSync(join(dir, 'back2'))).digest('hex'), sha);

    // SMB1: the same listing, and the file read back.
    const nt1 = await smb(`ls; get up.txt ${join(dir, 'back3')}`, NT1);
    assert.equal(nt1.code, 0, nt1.stderr + nt1.stdout);
    assert.match(nt1.stdout, /^\s+d\s+D\s+0 /m);
    assert.match(nt1.stdout, /^\s+up\.txt\s+A\s+150000 /m);
    assert.equal(createHash('sha256').update(readFileSync(join(dir, 'back3'))).digest('hex'), sha);

    // impacket from this source sees them too, over both dialects.
    const script = resolve('test/fixtures/smb/share-files.py');
    for (const dialect of ['smb2', 'smb1']) {
      const same = await runTool(PY, [script, HOST, '445', 'Public', dialect, '127.0.0.1']);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /^ls \. \.\. d up\.txt$/m, dialect);
      assert.match(same.stdout, new RegExp(`^get ${sha}$`, 'm'), dialect);
    }
    // Another source address sees an empty share and cannot read the file.
    for (const dialect of ['smb2', 'smb1']) {
      const other = await runTool(PY, [script, HOST, '445', 'Public', dialect, '127.0.0.50']);
      assert.equal(other.code, 0, other.stderr);
      assert.match(other.stdout, /^ls \. \.\.$/m, dialect);
      assert.match(other.stdout, /^get .*OBJECT_NAME_NOT_FOUND/m, dialect);
    }

    // Deleting and removing the directory leave the share as it was.
    const gone = await smb('del up.txt; rmdir d; ls');
    assert.equal(gone.code, 0, gone.stderr + gone.stdout);
    assert.doesNotMatch(gone.stdout, /up\.txt|^\s+d\s+D/m);

    // The upload is captured as before: one file.upload event with the content's SHA-256, kept in quarantine.
    await apiary.stop();
    const uploads = (await apiary.events()).filter((e) => e.type === 'file.upload');
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]!.filename, 'Public\\up.txt');
    assert.equal(uploads[0]!.sha256, sha);
    assert.deepEqual(readFileSync(join(dir, 'data', 'quarantine', sha)), content);
  } finally {
    await apiary.stop();
  }
});
