// Postinstall: makes ssh2's server send Debian 12 OpenSSH 9.2's server-sig-algs in EXT_INFO instead
// of ssh2 1.17.0's list, whose missing comma ("...nistp521rsa-sha2-512...", mscdex/ssh2#1485) one
// `ssh -v` shows and which names any ssh2 server. The list is a string literal inside a private
// function of ssh2/lib/protocol/Protocol.js and no option reaches it, so the exact known text is
// replaced in the installed file. Idempotent; another ssh2 version or text stops with exit 1.
//
//   node scripts/patch-ssh2.mjs            apply (what postinstall and pretest run)
//   node scripts/patch-ssh2.mjs --check    exit 1 unless applied
//   node scripts/patch-ssh2.mjs --revert   put ssh2's own text back (to see a test fail without it)
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

const SSH2_VERSION = '1.17.0';

/** sendExtInfo's list as ssh2 1.17.0 ships it. */
const ORIGINAL = `  let serverSigAlgs =
    'ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521'
      + 'rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss';
  if (eddsaSupported)
    serverSigAlgs = \`ssh-ed25519,\${serverSigAlgs}\`;
`;

/**
 * What Debian 12's sshd (OpenSSH 9.2p1) sends, read from `ssh -vvv` (kex_input_ext_info): every
 * signature algorithm it knows, whatever PubkeyAcceptedAlgorithms says. ssh2 cannot verify the sk-*
 * and webauthn ones, but the sensor never verifies a signature: it records the key a client offers
 * and refuses it. sshd's second extension, publickey-hostbound@openssh.com, is left out: OpenSSH's
 * client would then authenticate as publickey-hostbound-v00@openssh.com, a method ssh2's server
 * answers by disconnecting.
 */
const PATCHED = `  // Debian 12 OpenSSH 9.2's server-sig-algs, set by apiary's scripts/patch-ssh2.mjs.
  const serverSigAlgs =
    'ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,'
      + 'ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,'
      + 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,rsa-sha2-256,rsa-sha2-512';
`;

function fail(message) {
  console.error(`patch-ssh2: ${message}`);
  process.exit(1);
}

const mode = process.argv[2] ?? '--apply';
if (!['--apply', '--check', '--revert'].includes(mode)) fail(`unknown option ${mode} (use --check or --revert, or nothing to apply)`);

const require = createRequire(import.meta.url);
let pkgPath;
try {
  pkgPath = require.resolve('ssh2/package.json');
} catch {
  fail('ssh2 is not installed; run npm ci first');
}
const version = JSON.parse(readFileSync(pkgPath, 'utf8')).version;
if (version !== SSH2_VERSION) {
  fail(`ssh2 ${version} is installed, this patch is for ${SSH2_VERSION}. Read sendExtInfo in ssh2/lib/protocol/Protocol.js: ` +
    `if its server-sig-algs list is still ssh2's own, update ORIGINAL and SSH2_VERSION in scripts/patch-ssh2.mjs; ` +
    `if ssh2 now takes the list as an option, set it in src/sensors/ssh/sensor.ts and drop this script.`);
}
const file = join(dirname(pkgPath), 'lib', 'protocol', 'Protocol.js');
const text = readFileSync(file, 'utf8');
const [from, to] = mode === '--revert' ? [PATCHED, ORIGINAL] : [ORIGINAL, PATCHED];
const count = (s) => text.split(s).length - 1;

if (mode === '--check') {
  if (count(PATCHED) !== 1) fail(`${file} does not have the server-sig-algs patch; run node scripts/patch-ssh2.mjs`);
  process.exit(0);
}
if (count(to) === 1 && count(from) === 0) process.exit(0); // already done
if (count(from) !== 1) {
  fail(`${file} has neither ssh2 ${SSH2_VERSION}'s server-sig-algs text nor the patched one (edited by hand, or a different build?). ` +
    `Reinstall ssh2 (rm -rf node_modules/ssh2 && npm ci) and run node scripts/patch-ssh2.mjs again.`);
}
// Written beside it and renamed: a sensor starting meanwhile reads the old file or the new one, never half.
const tmp = `${file}.apiary-${process.pid}`;
writeFileSync(tmp, text.replace(from, () => to), { mode: statSync(file).mode & 0o777 });
renameSync(tmp, file);
console.log(`patch-ssh2: ${mode === '--revert' ? 'reverted' : 'patched'} server-sig-algs in ${file}`);
