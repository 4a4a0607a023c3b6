import { MemoryCacheStore } from "../cache/memory-store.js";
import { RedisCacheStore } from "../cache/redis-store.js";
import { type CacheStore, isCacheStore } from "../cache/store.js";
import type { NodeInput } from "../client/node-inputs.js";
import { LockConfigError } from "../errors/index.js";
import type { ResolvedManagerOptions } from "./options.js";

/**
 * The manager's cache store from its options: "memory", a CacheStore given as it is, or a Redis
 * store on the server given (default: the first lock node). `owned` says whether the manager
 * closes it.
 */
export function createCacheStore(
  o: ResolvedManagerOptions,
  onError: (label: string, error: Error) => void,
): { store: CacheStore; owned: boolean } {
  if (o.cache === "memory") {
    return { store: new MemoryCacheStore(o.cacheMaxEntries ?? 10_000), owned: true };
  }
  if (isCacheStore(o.cache)) return { store: o.cache, owned: false };
  const server = (o.cache ?? o.redisNodes[0]) as NodeInput;
  try {
    const store = new RedisCacheStore(server, {
      commandTimeout: o.commandTimeout,
      connectTimeout: o.connectTimeout,
      ...(o.clientOptions === undefined ? {} : { clientOptions: o.clientOptions }),
      onError,
    });
    return { store, owned: true };
  } catch (error) {
    if (!(error instanceof LockConfigError)) throw error;
    const field = o.cache === undefined ? "redisNodes.0" : "cache";
    throw new LockConfigError(error.issues.map((i) => ({ ...i, field })));
  }
}
