import { type CacheEntry, type CacheNotice, type CacheStore, type CacheWrite } from "./store.js";

/** Told of each write or failed refresh of the key it listens to. */
export type CacheListener = (notice: CacheNotice) => void;

/**
 * A cache inside this process: a Map kept in least-recently-used order and bounded to
 * `maxEntries`, for tests, single-process services and a local tier. Nothing is shared with other
 * processes and nothing survives a restart; use {@link RedisCacheStore} for that.
 */
export class MemoryCacheStore implements CacheStore {
  readonly maxEntries: number;
  readonly #entries = new Map<string, CacheEntry>();
  readonly #listeners = new Map<string, Set<CacheListener>>();

  constructor(maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError("maxEntries must be a whole number of at least 1");
    }
    this.maxEntries = maxEntries;
  }

  /** Entries held now (expired ones go when they are next read or pushed out). */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.#read(key));
  }

  set(key: string, write: CacheWrite, expectedGeneration?: number): Promise<number | undefined> {
    const current = this.#read(key)?.generation ?? 0;
    if (expectedGeneration !== undefined && expectedGeneration !== current) {
      return Promise.resolve(undefined);
    }
    const now = Date.now();
    const generation = Math.max(current + 1, now);
    const entry: CacheEntry = {
      payload: write.payload,
      generation,
      writtenAt: now,
      freshUntil: now + write.ttl,
      staleUntil: now + write.staleTtl,
      errorUntil: 0,
      fetchDuration: write.fetchDuration,
    };
    this.#store(key, entry);
    this.#notify(key, { kind: "written", generation, entry });
    return Promise.resolve(generation);
  }

  fail(key: string, expectedGeneration: number, backoff: number, message: string): Promise<void> {
    const entry = this.#read(key);
    if (entry !== undefined && entry.generation === expectedGeneration) {
      const errorUntil = Date.now() + backoff;
      this.#store(key, {
        ...entry,
        errorUntil,
        staleUntil: Math.max(entry.staleUntil, errorUntil),
      });
    }
    this.#notify(key, { kind: "failed", message });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }

  listen(key: string, listener: CacheListener): Promise<() => void> {
    let set = this.#listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
    const current = set;
    return Promise.resolve(() => {
      current.delete(listener);
      if (current.size === 0 && this.#listeners.get(key) === current) this.#listeners.delete(key);
    });
  }

  close(): Promise<void> {
    this.#entries.clear();
    this.#listeners.clear();
    return Promise.resolve();
  }

  #read(key: string): CacheEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (Math.max(entry.staleUntil, entry.errorUntil) <= Date.now()) return undefined;
    this.#entries.set(key, entry); // most recently used goes last
    return entry;
  }

  #store(key: string, entry: CacheEntry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  #notify(key: string, notice: CacheNotice): void {
    for (const listener of this.#listeners.get(key) ?? []) listener(notice);
  }
}
