// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which refuses to load unless
// Reflect.getMetadata exists (the `reflect-metadata` package, not installed here). tsyringe only
// uses getMetadata, getOwnMetadata and defineMetadata (tsyringe/dist/cjs/reflection-helpers.js),
// so this module defines those three, on a WeakMap, when they are missing. Import it before
// @peculiar/x509.
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function ownMap(target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty && create) store.set(target, (byProperty = new Map()));
  let entries = byProperty?.get(property);
  if (!entries && create && byProperty) byProperty.set(property, (entries = new Map()));
  return entries;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect['getMetadata'] !== 'function') {
  reflect['defineMetadata'] = (key: unknown, value: unknown, target: object, property?: Key) => void ownMap(target, property, true)?.set(key, value);
  reflect['getOwnMetadata'] = (key: unknown, target: object, property?: Key) => ownMap(target, property, false)?.get(key);
  reflect['getMetadata'] = (key: unknown, target: object, property?: Key): unknown => {
    for (let current: object | null = target; current; current = Object.getPrototypeOf(current) as object | null) {
      const entries = ownMap(current, property, false);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  };
}

export {};
