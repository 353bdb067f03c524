// The shared login policy: patterns, order, default rules, hostile input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileAuthPolicy } from '../../../src/sensors/runtime/auth-policy.js';
import { DEFAULT_AUTH_RULES, authRule } from '../../../src/config/schema.js';

const rules = (r: unknown[]) => compileAuthPolicy(r.map((x) => authRule.parse(x)));

test('exact, "*", /regex/, negation; first match wins; default deny', () => {
  const p = rules([
    { user: 'root', password: '!/^(root|123456)$/', allow: true },
    { user: '/^(oracle|tomcat)$/i', password: '*' },
    { user: '*', password: 'qwerty', allow: false },
    { user: 'deploy', password: ['a', 'b'] },
  ]);
  assert.equal(p.allows('root', 'hunter2'), true);
  assert.equal(p.allows('root', 'root'), false);
  assert.equal(p.allows('root', '123456'), false);
  assert.equal(p.allows('ORACLE', 'x'), true);
  assert.equal(p.allows('deploy', 'b'), true);
  assert.equal(p.allows('deploy', 'c'), false);
  assert.equal(p.allows('nobody', 'qwerty'), false);
  assert.equal(p.allows('nobody', 'anything'), false);
  assert.deepEqual(p.candidatePasswords('deploy'), ['a', 'b']);
});

test('the default policy lets root and admin in with common weak passwords only', () => {
  const p = rules(DEFAULT_AUTH_RULES);
  assert.equal(p.allows('root', '123456'), true);
  assert.equal(p.allows('admin', 'admin'), true);
  assert.equal(p.allows('root', 'xk3-unlikely-pw'), false);
  assert.equal(p.allows('ubuntu', '123456'), false);
});

test('property: hostile usernames and passwords never throw, and overlong or NUL ones never get in', () => {
  const p = rules([{ user: '*', password: '*' }]);
  fc.assert(
    fc.property(fc.string({ maxLength: 3000 }), fc.string({ maxLength: 3000 }), (u, pw) => {
      const r = p.allows(u, pw);
      if (u.length > 1024 || pw.length > 1024 || u.includes('\0') || pw.includes('\0')) return r === false;
      return r === true;
    }),
    { numRuns: 2000 },
  );
});

test('property: when acceptsUnlisted(user) is false, no password outside candidatePasswords(user) gets in', () => {
  const pat = fc.constantFrom('root', 'admin', 'a', 'b', '123456', '*', '/^a/', '/^[0-9]+$/', '!a', '!/^b/');
  const rule = fc.record({ user: pat, password: fc.oneof(pat, fc.array(pat, { minLength: 1, maxLength: 3 })), allow: fc.boolean() });
  const word = fc.oneof(fc.constantFrom('root', 'admin', 'a', 'b', 'ab', '123456', '42', '*', '!a', '/^a/'), fc.string({ maxLength: 6 }));
  fc.assert(
    fc.property(fc.array(rule, { maxLength: 5 }), word, word, (rs, user, password) => {
      const p = rules(rs);
      if (p.acceptsUnlisted(user) || p.candidatePasswords(user).includes(password)) return true;
      return p.allows(user, password) === false;
    }),
    { numRuns: 3000 },
  );
  const p = rules([{ user: 'root', password: ['123456'] }, { user: 'deploy', password: ['x', '/^D-[0-9]+$/'] }, { user: '*', password: '*', allow: false }]);
  assert.equal(p.acceptsUnlisted('root'), false);
  assert.equal(p.acceptsUnlisted('deploy'), true);
  assert.equal(p.acceptsUnlisted('nobody'), false, 'deny rules let nobody in');
});
