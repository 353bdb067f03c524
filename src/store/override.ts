// A store with some of its methods replaced: analysis shares reads between readers this way, and tests
// count or fail calls. Every other property is the store's own, its methods bound to it.

export function overrideMethods<S extends object>(store: S, overrides: Partial<S>): S {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof S];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
