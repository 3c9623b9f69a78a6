/**
 * @module store/overriding
 * A store with some of its methods replaced (`store/token-cache`, `store/grant-uses` wrap the store this way): the
 * rest are the store's own, bound to it once — its methods use private fields, so they must run on it — and not
 * again on every call.
 */
import type { Store } from './contract';

export function overriding(store: Store, overrides: Partial<Store>): Store {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (!method) {
        method = value.bind(target);
        bound.set(property, method);
      }
      return method;
    },
  });
}
