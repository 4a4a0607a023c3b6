/**
 * Where cached values live. Two implementations ship: {@link RedisCacheStore}, shared by every
 * process, and {@link MemoryCacheStore}, a bounded LRU inside one process. Any object with these
 * methods can be passed as the manager's `cache`.
 */
export interface CacheStore {
  /** The entry under `key`, or undefined when there is none (or it expired). */
  get(key: string): Promise<CacheEntry | undefined>;
  /**
   * Writes `write` under `key` only if the entry's generation is still `expectedGeneration` (0:
   * no entry), so that a slow writer never replaces a newer value; `undefined` writes
   * unconditionally. Resolves with the new generation, or undefined when the write was refused.
   * Listeners of `key` are told of a successful write.
   */
  set(key: string, write: CacheWrite, expectedGeneration?: number): Promise<number | undefined>;
  /**
   * Records that refreshing `key` failed: the entry, if it still has `expectedGeneration`, is
   * marked as backing off and kept for at least `backoff` ms. Listeners are told either way.
   */
  fail(key: string, expectedGeneration: number, backoff: number, message: string): Promise<void>;
  /** Removes the entry under `key`. */
  delete(key: string): Promise<void>;
  /**
   * Calls `listener` with every notice about `key` until the returned function is called.
   * Best effort: resolves once listening works, or after a bounded wait when it does not.
   */
  listen(key: string, listener: (notice: CacheNotice) => void): Promise<() => void>;
  /** Releases what the store opened. */
  close(): Promise<void>;
  /**
   * Optional: resolves when the store's server answered, rejects with why not; the manager's
   * healthCheck() reports it. A store without it (one inside the process) reports ok.
   */
  ping?(): Promise<void>;
}

/** One cached value and its windows, as epoch ms on this process's clock. */
export interface CacheEntry {
  /** The serialized value. */
  readonly payload: string;
  /** Grows with every write to the key, even across expiry; guards writes. */
  readonly generation: number;
  readonly writtenAt: number;
  /** Served without refreshing until then. */
  readonly freshUntil: number;
  /** Servable as stale (while a refresh runs) until then. */
  readonly staleUntil: number;
  /** A refresh failed: until then the stale value is served without calling the source. 0: none. */
  readonly errorUntil: number;
  /** How long the fetch that produced the value took (ms), for probabilistic early refresh. */
  readonly fetchDuration: number;
}

/** What a writer stores. */
export interface CacheWrite {
  readonly payload: string;
  /** ms the value is fresh. */
  readonly ttl: number;
  /** ms from now the value may be served stale; at least `ttl`. The entry expires then. */
  readonly staleTtl: number;
  readonly fetchDuration: number;
}

/**
 * What listeners of a key hear: a new value was written, or a refresh failed. A written notice
 * may carry the entry itself (stores do so for small values), so that waiters need not read it.
 */
export type CacheNotice =
  | { readonly kind: "written"; readonly generation: number; readonly entry?: CacheEntry }
  | { readonly kind: "failed"; readonly message: string };

/**
 * Reads a notice published by the cache scripts: "w:<generation>", "e:<message>", or
 * "v:<generation>:<fresh ms>:<stale ms>:<fetch ms>:<payload>" for a value small enough to send
 * along (its windows counted from `now`, when it arrived).
 */
export function parseNotice(message: string, now: number): CacheNotice | undefined {
  if (message.startsWith("v:")) return inlineNotice(message, now);
  if (message.startsWith("w:")) return { kind: "written", generation: Number(message.slice(2)) };
  if (message.startsWith("e:")) return { kind: "failed", message: message.slice(2) };
  return undefined;
}

function inlineNotice(message: string, now: number): CacheNotice | undefined {
  const fields: number[] = [];
  let start = 2;
  for (let i = 0; i < 4; i++) {
    const end = message.indexOf(":", start);
    if (end < 0) return undefined;
    fields.push(Number(message.slice(start, end)));
    start = end + 1;
  }
  const [generation = NaN, fresh = NaN, stale = NaN, fetchDuration = NaN] = fields;
  if (!fields.every(Number.isFinite)) return undefined;
  const entry: CacheEntry = {
    payload: message.slice(start),
    generation,
    writtenAt: now,
    freshUntil: now + fresh,
    staleUntil: now + stale,
    errorUntil: 0,
    fetchDuration,
  };
  return { kind: "written", generation, entry };
}

/** Whether `value` looks like a CacheStore (has its methods). */
export function isCacheStore(value: unknown): value is CacheStore {
  const store = value as Partial<CacheStore> | null;
  return (
    typeof store === "object" &&
    store !== null &&
    typeof store.get === "function" &&
    typeof store.set === "function" &&
    typeof store.listen === "function"
  );
}
