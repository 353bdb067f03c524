// The config loader: defaults, named-key errors for bad input, and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfigText, validateConfig } from '../../src/config/load.js';
import { ApiaryError } from '../../src/errors/errors.js';
import { runCli, tempDir } from '../helpers/apiary-process.js';

function configError(input: unknown): ApiaryError {
  try {
    validateConfig(input);
  } catch (err) {
    assert.ok(err instanceof ApiaryError, `expected an ApiaryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the config to be refused');
}

test('built-in defaults run the SSH sensor on 2222 and keep data in ./apiary-data', () => {
  const dir = tempDir();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const { config, file } = loadConfig(undefined);
    assert.equal(file, undefined);
    assert.deepEqual(config.services.ssh?.listen, ['0.0.0.0:2222']);
    assert.equal(config.data_dir, join(dir, 'apiary-data'));
    assert.equal(config.store.sqlite.path, join(dir, 'apiary-data', 'apiary.db'));
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.services));
  } finally {
    process.chdir(cwd);
  }
});

test('bad values name the key and what is expected', () => {
  assert.match(configError({ services: { ssh: { listen: ['0.0.0.0:70000'] } } }).message, /services\.ssh\.listen\[0\].*out of range; expected 1-65535/);
  assert.match(configError({ servics: {} }).message, /unknown key "servics"/);
  assert.match(configError({ services: { ssh: { listen: 'x' } } }).message, /services\.ssh\.listen: expected array, got string/);
  assert.match(configError({ services: { ssh: { listen: ['example.com:22'] } } }).message, /not an IP address/);
  assert.match(configError({ auth: [{ user: '/[/', password: '*' }] }).message, /auth\[0\]\.user: invalid regular expression/);
  assert.match(configError({ networks: { internal: ['10.0.0.0/33'] } }).message, /networks\.internal\[0\].*CIDR/);
  assert.match(configError({ services: { ssh: { max_auth_tries: 0 } } }).message, /services\.ssh\.max_auth_tries/);
  assert.match(configError({ limits: { source_rsa_decryptions_s: 0 } }).message, /key limits\.source_rsa_decryptions_s: Number must be greater than or equal to 1/);
  assert.match(configError({ limits: { global_wordlist_checks_s: 'many' } }).message, /limits\.global_wordlist_checks_s: expected number/);
  assert.match(configError([]).message, /top level must be a mapping/);
  assert.match(configError({ shipper: { collector: '192.0.2.10:8443' } }).message, /key shipper\.collector: not a URL: write it as https:\/\/HOST:PORT/);
  assert.match(configError({ quarantine: { max_total_bytes: 1000, max_source_bytes: 2000 } }).message, /key quarantine\.max_source_bytes: .*more than quarantine\.max_total_bytes/);
});

test('two services cannot share one address', () => {
  // Only one service exists yet: two addresses of one service conflict the same way.
  const err = configError({ services: { ssh: { listen: ['127.0.0.1:2222', '127.0.0.1:2222'] } } });
  assert.match(err.message, /services\.ssh\.listen\[1\].*already used by services\.ssh\.listen\[0\]/);
});

test('an unwritable data dir stops start-up naming data_dir', () => {
  const dir = tempDir();
  const file = join(dir, 'c.yaml');
  // A directory cannot be made under a regular file, even by root.
  writeFileSync(file, `data_dir: ${join(dir, 'c.yaml', 'data')}\n`);
  assert.throws(() => loadConfig(file), (err: unknown) => err instanceof ApiaryError && err.code === 'APIARY_DATA_DIR' && /key data_dir/.test(err.message));
});

test('invalid YAML is reported as unreadable with the parser\'s line', () => {
  assert.throws(() => parseConfigText('services: [\n'), (err: unknown) => err instanceof ApiaryError && err.code === 'APIARY_CONFIG_UNREADABLE');
});

test('`apiary config check` prints ok or the coded error and exits 2', async () => {
  const dir = tempDir();
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'sensor: s1\nservices:\n  ssh:\n    listen: ["127.0.0.1:2222"]\n');
  const ok = await runCli(['config', 'check', good]);
  assert.match(ok.stdout, /^config ok: sensor s1; ssh on 127\.0\.0\.1:2222/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'services:\n  ssh:\n    listen: ["0.0.0.0:70000"]\n');
  const r = await runCli(['config', 'check', bad], { allowFail: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^apiary: APIARY_CONFIG_INVALID: .*services\.ssh\.listen\[0\]/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('`apiary config check` takes the file as --config FILE too, and refuses none or two different ones', async () => {
  const dir = tempDir();
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'sensor: s1\n');
  const other = join(dir, 'other.yaml');
  writeFileSync(other, 'sensor: s2\n');
  for (const args of [['--config', good], ['-c', good], [good, '--config', good]]) {
    const ok = await runCli(['config', 'check', ...args]);
    assert.match(ok.stdout, /^config ok: sensor s1;/, args.join(' '));
  }
  const two = await runCli(['config', 'check', good, '--config', other], { allowFail: true });
  assert.equal(two.code, 2);
  assert.match(two.stderr, /^apiary: APIARY_CLI_USAGE: config check was given two files \(.*good\.yaml and --config .*other\.yaml\); give one of them\n$/);
  const none = await runCli(['config', 'check'], { allowFail: true });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^apiary: APIARY_CLI_USAGE: config check needs the file to check; usage: apiary config check FILE \(or apiary config check --config FILE\)\n$/);
});

// Arbitrary JSON-like values, biased towards the real keys so the validator goes deep.
const keys = fc.constantFrom('sensor', 'data_dir', 'services', 'ssh', 'listen', 'auth', 'user', 'password', 'allow', 'limits', 'store', 'sqlite', 'path', 'networks', 'internal', 'outputs', 'log', 'level', 'version', 'x');
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer({ min: -100000, max: 100000 }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('0.0.0.0:2222', '[::1]:0', '127.0.0.1:99999', '/x/', '!root', '*', '10.0.0.0/8'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(keys, tie('node'), { maxKeys: 5 }),
  ),
})).node;

test('property: any input either validates or fails with a coded error that names a key', () => {
  fc.assert(
    fc.property(value, (input) => {
      try {
        validateConfig(input);
        return true;
      } catch (err) {
        if (!(err instanceof ApiaryError)) return false;
        return err.code === 'APIARY_CONFIG_INVALID' && /(key |unknown key|top level)/.test(err.message) && !err.message.includes('\n    at ');
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: any text either parses or fails as unreadable, never with a stack trace', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      try {
        validateConfig(parseConfigText(text));
        return true;
      } catch (err) {
        return err instanceof ApiaryError;
      }
    }),
    { numRuns: 2000 },
  );
});
