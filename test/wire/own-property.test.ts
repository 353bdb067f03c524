// Records keyed by attacker-chosen names keep every name as an own property: __proto__, constructor
// and toString are names like any other (an HTTP header "constructor: x" was recorded as
// "function Object() { [native code] }, x").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { headerRecord } from '../../src/sensors/http/sensor.js';
import { decodeTftp } from '../../src/sensors/tftp/codec.js';
import { getOwn, setOwn } from '../../src/wire/own-property.js';

test('HTTP headers named like Object.prototype members are recorded as sent', () => {
  const h = headerRecord(['Constructor', 'x', '__proto__', 'y', 'toString', 'z', 'toString', 'w']);
  assert.equal(Object.getPrototypeOf(h), Object.prototype);
  assert.deepEqual(Object.entries(h), [['constructor', 'x'], ['__proto__', 'y'], ['tostring', 'z, w']]);
});

test('TFTP options named __proto__ are options', () => {
  const pkt = Buffer.concat([Buffer.from([0, 1]), Buffer.from('f\x00octet\x00__proto__\x00x\x00blksize\x00512\x00')]);
  const r = decodeTftp(pkt);
  assert.equal(r.status, 'ok');
  assert.deepEqual(Object.entries((r as { packet: { options: Record<string, string> } }).packet.options), [['__proto__', 'x'], ['blksize', '512']]);
});

test('setOwn/getOwn: any name in, the same own entries out, nothing inherited read', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'), fc.string()), fc.string())), (pairs) => {
      const r: Record<string, string> = {};
      const want = new Map<string, string>();
      for (const [k, v] of pairs) {
        setOwn(r, k, v);
        want.set(k, v);
      }
      assert.equal(Object.getPrototypeOf(r), Object.prototype);
      assert.deepEqual(new Map(Object.entries(r)), want);
      for (const k of ['constructor', 'toString']) if (!want.has(k)) assert.equal(getOwn(r, k), undefined);
    }),
  );
});
