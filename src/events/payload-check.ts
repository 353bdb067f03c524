// A fast, exact check of a payload against its catalogue schema. Sensors, importers and the collector
// handle payloads that are valid by construction, and zod's object parse (a copy of every payload, an
// issue context per field) was a large part of their cost per event. The check is compiled from the zod
// schema itself, so it never drifts from the catalogue: it answers "certainly valid, and zod would
// return an equal object with the same keys in the same order" or "ask zod". Schemas or checks it does
// not know (refinements, transforms, defaults, unions...) always go to zod.
import type { z } from 'zod';

export type Check = (v: unknown) => boolean;

/** Zod internals read here (zod 3's `_def`); anything else makes the type fall back to zod. */
interface Def {
  typeName?: string;
  checks?: { kind: string; value?: number; inclusive?: boolean; regex?: RegExp }[];
  coerce?: boolean;
  values?: readonly unknown[];
  innerType?: z.ZodTypeAny;
  type?: z.ZodTypeAny;
  exactLength?: { value: number } | null;
  minLength?: { value: number } | null;
  maxLength?: { value: number } | null;
  shape?: () => Record<string, z.ZodTypeAny>;
  unknownKeys?: string;
  catchall?: z.ZodTypeAny;
  effect?: unknown;
}

/** A check for a value that zod's parse returns unchanged (or as an element-wise copy), or undefined. */
function compileValue(schema: z.ZodTypeAny): Check | undefined {
  const def = schema._def as Def;
  switch (def.typeName) {
    case 'ZodString': {
      if (def.coerce) return undefined;
      const parts: Check[] = [];
      for (const c of def.checks ?? []) {
        const n = c.value ?? NaN;
        if (c.kind === 'min') parts.push((s) => (s as string).length >= n);
        else if (c.kind === 'max') parts.push((s) => (s as string).length <= n);
        else if (c.kind === 'length') parts.push((s) => (s as string).length === n);
        else if (c.kind === 'regex' && c.regex) {
          const re = c.regex;
          parts.push((s) => {
            re.lastIndex = 0;
            return re.test(s as string);
          });
        } else return undefined;
      }
      return (v) => typeof v === 'string' && parts.every((p) => p(v));
    }
    case 'ZodNumber': {
      if (def.coerce) return undefined;
      const parts: Check[] = [];
      for (const c of def.checks ?? []) {
        const n = c.value ?? NaN;
        if (c.kind === 'int') parts.push((x) => Number.isInteger(x));
        else if (c.kind === 'min') parts.push(c.inclusive ? (x) => (x as number) >= n : (x) => (x as number) > n);
        else if (c.kind === 'max') parts.push(c.inclusive ? (x) => (x as number) <= n : (x) => (x as number) < n);
        else if (c.kind === 'finite') parts.push((x) => Number.isFinite(x));
        else return undefined;
      }
      // zod rejects NaN as "not a number"; -0 and infinities pass only what the checks allow.
      return (v) => typeof v === 'number' && !Number.isNaN(v) && parts.every((p) => p(v));
    }
    case 'ZodBoolean':
      return def.coerce ? undefined : (v) => typeof v === 'boolean';
    case 'ZodEnum': {
      const values = new Set(def.values ?? []);
      return (v) => typeof v === 'string' && values.has(v);
    }
    case 'ZodArray': {
      const el = def.type ? compileValue(def.type) : undefined;
      if (!el) return undefined;
      const exact = def.exactLength?.value;
      const min = def.minLength?.value;
      const max = def.maxLength?.value;
      return (v) =>
        Array.isArray(v) &&
        (exact === undefined || v.length === exact) &&
        (min === undefined || v.length >= min) &&
        (max === undefined || v.length <= max) &&
        v.every(el);
    }
    default:
      return undefined;
  }
}

/**
 * A check for a payload object: only keys of the shape, in the shape's order (zod's output order, so
 * the stored JSON is the same), no undefined values, and every present value valid; absent keys must
 * be optional.
 */
export function compileExactCheck(schema: z.ZodTypeAny): Check | undefined {
  const def = schema._def as Def;
  if (def.typeName !== 'ZodObject' || !def.shape) return undefined;
  if ((def.catchall?._def as Def | undefined)?.typeName !== 'ZodNever') return undefined;
  const shape = def.shape();
  const keys = Object.keys(shape);
  const order = new Map<string, number>();
  const checks: Check[] = [];
  const required: boolean[] = [];
  for (const [i, k] of keys.entries()) {
    let field = shape[k]!;
    let optional = false;
    if ((field._def as Def).typeName === 'ZodOptional') {
      optional = true;
      field = (field._def as Def).innerType!;
    }
    const c = compileValue(field);
    if (!c) return undefined;
    order.set(k, i);
    checks.push(c);
    required.push(!optional);
  }
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
    let last = -1;
    for (const k of Object.keys(v)) {
      const i = order.get(k);
      if (i === undefined || i <= last) return false;
      // Required keys skipped over between the last key and this one are missing.
      for (let j = last + 1; j < i; j++) if (required[j]) return false;
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || !checks[i]!(x)) return false;
      last = i;
    }
    for (let j = last + 1; j < keys.length; j++) if (required[j]) return false;
    return true;
  };
}
