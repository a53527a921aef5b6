import type { ObjectStore } from '@annot/storage';

type Method = 'put' | 'get' | 'getBytes' | 'head' | 'delete' | 'urlFor';

/**
 * A real store that records which methods ran, in order, and runs `after[method]` with the key
 * once that method has resolved: a way to change the world at one exact point of a worker's run
 * (say, withdraw the upload right after the original was read).
 */
export function watchedStore(
  store: ObjectStore,
  after: Partial<Record<Method, (key: string) => Promise<void>>> = {},
) {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls.push(String(property));
        const result = await value.apply(target, args);
        await after[property as Method]?.(args[0] as string);
        return result;
      };
    },
  });
  return { store: proxy, calls };
}
