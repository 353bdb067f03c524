// The SIP digest check: the same password as trying each listed one through digestResponse, for any
// username, realm, nonce and response; the hand-written MD5 equals node:crypto; the HA1 cache keeps
// within its bounds whatever usernames and realms come.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { digestResponse } from '../../../src/sensors/sip/codec.js';
import { DigestChecker, MAX_CACHED_HA1S, MAX_HA1_CACHE_ENTRIES, MAX_HA1_KEY_CHARS, md5, type DigestAttempt } from '../../../src/sensors/sip/digest-check.js';
import { compileAuthPolicy, MAX_CREDENTIAL_CHARS, type AuthPolicy } from '../../../src/sensors/runtime/auth-policy.js';
import { DEFAULT_AUTH_RULES, authRule } from '../../../src/config/schema.js';
import { COMMON_PASSWORDS } from '../../../src/config/common-passwords.js';

const rules = (r: unknown[]): AuthPolicy => compileAuthPolicy(r.map((x) => authRule.parse(x)));

/** What the sensor did before the check had a cache: every listed password through digestResponse. */
function reference(policy: AuthPolicy, a: DigestAttempt): string | undefined {
  const user = a.username.slice(0, MAX_CREDENTIAL_CHARS);
  return policy
    .candidatePasswords(user)
    .find((pw) => digestResponse({ username: a.username, realm: a.realm, password: pw, method: a.method, uri: a.uri, nonce: a.nonce, ...(a.qop ? { qop: a.qop, nc: a.nc ?? '', cnonce: a.cnonce ?? '' } : {}) }) === a.response.toLowerCase() && policy.allows(user, pw));
}

test('the hand-written MD5 equals node:crypto at every length across block boundaries', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.deepEqual(md5(bytes), createHash('md5').update(bytes).digest());
    }),
    { numRuns: 1000 },
  );
  for (let n = 0; n <= 200; n++) {
    const bytes = Buffer.alloc(n, n);
    assert.deepEqual(md5(bytes), createHash('md5').update(bytes).digest(), `length ${n}`);
  }
});

test('property: the check finds the password trying each listed one through digestResponse finds', () => {
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', 'asterisk', 'root'));
  const password = fc.oneof(fc.string({ minLength: 1, maxLength: 16 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 16 })).filter((p) => !p.startsWith('!') && !p.startsWith('/') && p !== '*');
  const user = fc.oneof(fc.constantFrom('root', 'admin', '1000'), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }));
  fc.assert(
    fc.property(
      fc.array(password, { minLength: 1, maxLength: 12 }),
      fc.array(password, { maxLength: 3 }),
      user,
      text,
      fc.record({ method: fc.constantFrom('REGISTER', 'INVITE'), uri: text, nonce: text, nc: fc.option(text, { nil: undefined }), cnonce: fc.option(text, { nil: undefined }), qop: fc.option(fc.oneof(fc.constantFrom('auth', '', 'auth-int'), text), { nil: undefined }) }),
      fc.oneof(fc.nat().map((i) => ({ pick: i })), fc.string({ maxLength: 40 }).map((junk) => ({ junk }))),
      fc.boolean(),
      (listed, denied, username, realm, req, answer, upper) => {
        // Denied passwords are listed by a later allow rule too, so they are candidates the policy refuses.
        const policy = rules([
          { user: '*', password: denied.length ? denied : ['\u0000never'], allow: false },
          { user: '*', password: listed },
          { user: 'root', password: [...denied, 'root'] },
        ]);
        const checker = new DigestChecker(policy);
        const candidates = policy.candidatePasswords(username);
        let response: string;
        if ('pick' in answer) {
          const pw = candidates[answer.pick % candidates.length]!;
          response = digestResponse({ username, realm, password: pw, ...req, ...(req.qop ? { qop: req.qop, nc: req.nc ?? '', cnonce: req.cnonce ?? '' } : {}) });
          if (upper) response = response.toUpperCase();
        } else response = answer.junk;
        const a: DigestAttempt = { username, realm, ...req, response };
        const want = reference(policy, a);
        assert.equal(checker.check(a), want);
        // Again from the cache.
        assert.equal(checker.check(a), want);
        // A listed password the policy lets in is found (the property is not vacuous).
        const pw = 'pick' in answer ? candidates[answer.pick % candidates.length]! : undefined;
        if (pw !== undefined && policy.allows(username, pw)) assert.equal(want, pw);
      },
    ),
    { numRuns: 400 },
  );
});

test('the HA1 cache stays within its bounds under many usernames and realms, least recently used out first; long keys are not kept', () => {
  const policy = rules([{ user: '*', password: [...COMMON_PASSWORDS] }]);
  // A miss asks the policy for the user's passwords; a hit does not.
  let misses = 0;
  const counting: AuthPolicy = { ...policy, candidatePasswords: (u) => (misses++, policy.candidatePasswords(u)) };
  const checker = new DigestChecker(counting);
  const attempt = (username: string, realm: string, password = 'admin'): DigestAttempt => {
    const req = { method: 'REGISTER', uri: 'sip:100@10.0.0.1', nonce: 'abc', qop: 'auth', nc: '00000001', cnonce: 'c' };
    return { username, realm, ...req, response: digestResponse({ username, realm, password, ...req }) };
  };
  for (let i = 0; i < MAX_HA1_CACHE_ENTRIES * 4; i++) {
    assert.equal(checker.check(attempt(`user${i}`, `realm${i % 7}`)), 'admin');
    const s = checker.stats();
    assert.ok(s.entries <= MAX_HA1_CACHE_ENTRIES && s.ha1s <= MAX_CACHED_HA1S, JSON.stringify(s));
  }
  assert.deepEqual(checker.stats(), { entries: MAX_HA1_CACHE_ENTRIES, ha1s: MAX_HA1_CACHE_ENTRIES * COMMON_PASSWORDS.length });
  const oldest = MAX_HA1_CACHE_ENTRIES * 3;
  const at = (i: number): DigestAttempt => attempt(`user${i}`, `realm${i % 7}`);
  misses = 0;
  checker.check(at(oldest)); // used again: now the most recent
  checker.check(at(-1)); // new: pushes out the oldest, which is now oldest + 1
  checker.check(at(oldest));
  assert.equal(misses, 1);
  checker.check(at(oldest + 1));
  assert.equal(misses, 2);
  // Realms are part of the key: the same user in another realm is another entry.
  checker.check(attempt(`user${oldest}`, 'elsewhere'));
  assert.equal(misses, 3);

  // A username and realm longer than MAX_HA1_KEY_CHARS together are hashed at every attempt, not kept.
  misses = 0;
  for (const [u, r] of [['x'.repeat(MAX_HA1_KEY_CHARS - 1), 'r'], ['x'.repeat(MAX_HA1_KEY_CHARS), 'r']] as const) {
    assert.equal(checker.check(attempt(u, r)), 'admin');
    assert.equal(checker.check(attempt(u, r)), 'admin');
  }
  assert.equal(misses, 3);

  // A user with more listed passwords than the whole cache holds is checked, not cached.
  const many = Array.from({ length: MAX_CACHED_HA1S + 1 }, (_, i) => `pw${i}`);
  const big = new DigestChecker(rules([{ user: '*', password: many }]));
  assert.equal(big.check(attempt('root', 'asterisk', `pw${MAX_CACHED_HA1S}`)), `pw${MAX_CACHED_HA1S}`);
  assert.deepEqual(big.stats(), { entries: 0, ha1s: 0 });
  // Lists that fit one at a time push each other out to stay under the HA1 bound.
  const half = new DigestChecker(rules([{ user: '*', password: many.slice(0, MAX_CACHED_HA1S / 2 + 1) }]));
  for (const u of ['a', 'b', 'c']) assert.equal(half.check(attempt(u, 'r', 'pw1')), 'pw1');
  assert.deepEqual(half.stats(), { entries: 1, ha1s: MAX_CACHED_HA1S / 2 + 1 });
});

test('a response that is not 32 hex digits matches nothing and costs no hashing', () => {
  const checker = new DigestChecker(rules(DEFAULT_AUTH_RULES));
  for (const response of ['', 'zz', '0'.repeat(31), '0'.repeat(33), `${'0'.repeat(31)}g`]) {
    assert.equal(checker.check({ username: 'root', realm: 'r', method: 'REGISTER', uri: 'sip:x', nonce: 'n', response }), undefined);
  }
  assert.deepEqual(checker.stats(), { entries: 0, ha1s: 0 });
});
