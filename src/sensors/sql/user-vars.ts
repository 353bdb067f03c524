// A connection's user variables (SET @name = ...): attacker values the connection keeps until it ends,
// so they are bounded by what they hold, and held as strings of their own (never views into a larger one).
import { flatCopy } from '../../wire/flat-copy.js';
import type { Value } from './decoy-data.js';

/** Most user variables one connection keeps. */
export const MAX_USER_VARS = 256;
/** Longest value kept; a longer one is cut to it. */
export const MAX_USER_VAR_CHARS = 64 * 1024;
/**
 * Characters of names and values one connection keeps in all. Without it 256 values of 64 Ki
 * characters each made 16 Mi per connection, and a source holds 32 connections (limits.per_source_connections).
 */
export const MAX_USER_VARS_TOTAL_CHARS = 1024 * 1024;
/** Longest variable name: MySQL refuses longer ones (error 3061); T-SQL identifiers stop at 128. */
export const MAX_USER_VAR_NAME_CHARS = { mysql: 64, tsql: 128 } as const;

function charsOf(name: string, v: Value | undefined): number {
  return name.length + (typeof v === 'string' ? v.length : 0);
}

/**
 * Sets VARS' NAME to VALUE (cut to MAX_USER_VAR_CHARS). A new variable past MAX_USER_VARS, or a value
 * that would take the connection past MAX_USER_VARS_TOTAL_CHARS, is not kept (the statement still
 * succeeds, as it did when only the count was capped). The caller checks the name's length.
 */
export function setUserVar(vars: Map<string, Value>, name: string, value: Value): void {
  const v = typeof value === 'string' ? value.slice(0, MAX_USER_VAR_CHARS) : value;
  const had = vars.has(name);
  if (!had && vars.size >= MAX_USER_VARS) return;
  let total = 0;
  for (const [k, x] of vars) total += charsOf(k, x);
  if (total - (had ? charsOf(name, vars.get(name)) : 0) + charsOf(name, v) > MAX_USER_VARS_TOTAL_CHARS) return;
  vars.set(flatCopy(name), typeof v === 'string' ? flatCopy(v) : v);
}
