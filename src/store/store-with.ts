/**
 * A store with some of its members replaced, every other one the store's own (methods bound to it): how tests
 * count what a reader reads, hold or drop a watch's deliveries, stall a commit or lose a write's answer, on a
 * real store. One Proxy, not one per test.
 */
import type { Store } from './store.js';

export function storeWith(store: Store, replaced: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(replaced, prop)) return (replaced as Record<string | symbol, unknown>)[prop];
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
