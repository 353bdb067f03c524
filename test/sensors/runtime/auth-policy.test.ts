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
