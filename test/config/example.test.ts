// apiary.example.yaml is valid and documents every key of the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

/** Every object key in a zod schema, however deep (through defaults, optionals, arrays, unions). */
function keysOf(schema: z.ZodTypeAny, out = new Set<string>()): Set<string> {
  const def = schema._def as { typeName?: string; innerType?: z.ZodTypeAny; schema?: z.ZodTypeAny; type?: z.ZodTypeAny; options?: z.ZodTypeAny[]; valueType?: z.ZodTypeAny; in?: z.ZodTypeAny };
  if (schema instanceof z.ZodObject) {
    for (const [k, v] of Object.entries(schema.shape as Record<string, z.ZodTypeAny>)) {
      out.add(k);
      keysOf(v, out);
    }
  }
  for (const inner of [def.innerType, def.schema, def.type, def.valueType, def.in, ...(def.options ?? [])]) {
    if (inner && typeof inner === 'object' && '_def' in inner) keysOf(inner, out);
  }
  return out;
}

test('apiary.example.yaml passes the config check', () => {
  assert.doesNotThrow(() => loadConfig('apiary.example.yaml', { checkDataDir: false }));
});

test('apiary.example.yaml names every key of the schema (set or in a comment)', () => {
  const text = readFileSync('apiary.example.yaml', 'utf8');
  const missing = [...keysOf(configSchema)].filter((k) => !new RegExp(`(^|[\\s{,#])"?${k}"?:`, 'm').test(text));
  assert.deepEqual(missing, []);
});
