// Value conversions every part of the decoy engine shares: MySQL's implicit number and text rules.
import type { Value } from './decoy-data.js';

export function truthy(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'number') return v !== 0;
  const n = Number.parseFloat(v);
  return Number.isNaN(n) ? false : n !== 0;
}

export function toNum(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'number') return v;
  const n = Number.parseFloat(v);
  return Number.isNaN(n) ? 0 : n;
}

export function toStr(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  return v;
}

/** Text that compares as a number (DECIMAL values are kept as their text). */
export const NUMERIC_TEXT = /^-?\d{1,15}(?:\.\d{1,10})?$/;

export function fmtDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
