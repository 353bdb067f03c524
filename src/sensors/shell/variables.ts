// A string map with a ceiling, for a session's shell variables: every value comes from the attacker,
// and `a=$a$a` in a loop doubles one until the process runs out of memory.

/** Limits of one BoundedStringMap. */
export interface StringMapLimits {
  /** Most entries. */
  entries: number;
  /** Most characters of names and values together. */
  chars: number;
  /** Longest single value; a longer one is cut to it. */
  value: number;
}

/**
 * A Map<string, string> that stays within its limits. `set` cuts a value that is too long and leaves
 * the map as it was when the entry would take it past its entries or characters (the callers that
 * can report it check `fits` first and say why).
 */
export class BoundedStringMap extends Map<string, string> {
  private chars = 0;
  private readonly limits: StringMapLimits;

  constructor(limits: StringMapLimits) {
    super();
    this.limits = limits;
  }

  /** Characters held now (names and values). */
  get totalChars(): number {
    return this.chars;
  }

  /** Whether NAME=VALUE (after cutting VALUE) keeps the map within its limits. */
  fits(name: string, value: string): boolean {
    const old = super.get(name);
    const len = Math.min(value.length, this.limits.value);
    if (old === undefined) return this.size < this.limits.entries && this.chars + name.length + len <= this.limits.chars;
    return this.chars - old.length + len <= this.limits.chars;
  }

  override set(name: string, value: string): this {
    if (!this.fits(name, value)) return this;
    const v = value.length > this.limits.value ? value.slice(0, this.limits.value) : value;
    const old = super.get(name);
    this.chars += old === undefined ? name.length + v.length : v.length - old.length;
    return super.set(name, v);
  }

  override delete(name: string): boolean {
    const old = super.get(name);
    if (old !== undefined) this.chars -= name.length + old.length;
    return super.delete(name);
  }

  override clear(): void {
    this.chars = 0;
    super.clear();
  }
}
