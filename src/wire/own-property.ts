// Records keyed by attacker-chosen names (headers, environment variables, options): a name such as
// `__proto__`, `constructor` or `toString` must be an own property like any other, neither setting the
// record's prototype nor reading something the record inherits.

/** Sets KEY of RECORD to VALUE as an own, enumerable property, whatever the name. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** RECORD's own value under KEY, never an inherited one. */
export function getOwn<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
