import type { z } from "zod";
import { jsonSerializer } from "../cache/serializer.js";
import {
  type Fetcher,
  type StampedeDeps,
  type StampedePlan,
  StampedeProtection,
} from "../cache/stampede.js";
import type { CacheStore } from "../cache/store.js";
import { callable, resourceName } from "../options/fields.js";
import { isMemoized, parseOrThrow } from "../options/parse.js";
import {
  type CacheOptions,
  cacheOptionsSchema,
  type CacheWriteOptions,
  cacheWriteOptionsSchema,
  DEFAULT_CACHE_TTL,
  type ResolvedManagerOptions,
} from "./options.js";

const keySchema = resourceName();
/** Keys whose stampede plan is kept per options object (a burst's key among them). */
const STAMPEDE_PLANS_PER_OPTIONS = 64;

/** The manager's settings the cache reads. */
export type CacheSettings = Pick<
  ResolvedManagerOptions,
  | "cachePrefix"
  | "stampedePrefix"
  | "defaultTtl"
  | "defaultTimeout"
  | "staleIfErrorTtl"
  | "degradeTo"
  | "fallbackInterval"
  | "serializer"
>;

/**
 * What the cache needs from the lock side: the locking and bookkeeping hooks of StampedeDeps
 * (the store and serializer are the cache's own), and a check that the manager is still open.
 */
export type CacheLockSide = Omit<StampedeDeps, "store" | "serializer" | "fallbackInterval"> & {
  /** Throws when the manager is closed. */
  readonly assertOpen: () => void;
};

/**
 * The LockManager's cache: protectCacheStampede() and its siblings, their options and defaults,
 * the store, and the stampede protection over it. Locks reach it only through
 * {@link CacheLockSide}.
 */
export class ManagerCache {
  readonly store: CacheStore;
  readonly #ownsStore: boolean;
  readonly #settings: CacheSettings;
  readonly #assertOpen: () => void;
  readonly #stampede: StampedeProtection;
  /** Stampede plans by (memoized) options, then by key. */
  readonly #plans = new WeakMap<object, Map<string, StampedePlan>>();

  constructor(settings: CacheSettings, store: CacheStore, ownsStore: boolean, side: CacheLockSide) {
    this.store = store;
    this.#ownsStore = ownsStore;
    this.#settings = settings;
    const { assertOpen, ...lockSide } = side;
    this.#assertOpen = assertOpen;
    this.#stampede = new StampedeProtection({
      ...lockSide,
      store,
      serializer: settings.serializer ?? jsonSerializer,
      fallbackInterval: settings.fallbackInterval,
    });
  }

  /** Refreshes under way in this process. */
  get inFlight(): number {
    return this.#stampede.inFlight;
  }

  /** See LockManager.protectCacheStampede. Not async: a burst of callers feels every tick. */
  protect<T>(key: string, fetcher: Fetcher<T>, options: CacheOptions): Promise<T> {
    let plan: StampedePlan;
    try {
      plan = this.#plan(key, fetcher, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#stampede.protect(plan, fetcher);
  }

  /** See LockManager.refreshWithLock. */
  async refresh<T>(key: string, fetcher: Fetcher<T>, options: CacheOptions): Promise<T> {
    return this.#stampede.refresh(this.#plan(key, fetcher, options), fetcher);
  }

  /** The value cached under the caller's `key`, fresh or stale, or undefined. */
  async get<T>(key: string): Promise<T | undefined> {
    return this.#stampede.peek<T>(this.#dataKey(parseOrThrow(keySchema, key, "key")));
  }

  /** The value cached under an already validated `key` (a lock's name), at most `maxAge` old. */
  peek<T>(key: string, maxAge?: number): Promise<T | undefined> {
    return this.#stampede.peek<T>(this.#dataKey(key), maxAge);
  }

  /** See LockManager.setCached. */
  async set(key: string, value: unknown, options: CacheWriteOptions): Promise<void> {
    const k = parseOrThrow(keySchema, key, "key");
    const o = parseOrThrow(cacheWriteOptionsSchema, options, "options");
    const ttl = o.ttl ?? DEFAULT_CACHE_TTL;
    await this.#stampede.write(
      { key: k, dataKey: this.#dataKey(k), ttl, staleTtl: o.staleTtl ?? ttl * 5 },
      value,
    );
  }

  /** See LockManager.invalidate. */
  async invalidate(key: string): Promise<void> {
    await this.store.delete(this.#dataKey(parseOrThrow(keySchema, key, "key")));
  }

  /** Resolves once the refreshes under way (background ones included) have settled. */
  drain(): Promise<void> {
    return this.#stampede.drain();
  }

  /** Closes the store if the manager created it. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close();
  }

  #dataKey(key: string): string {
    return this.#settings.cachePrefix + key;
  }

  #plan<T>(key: string, fetcher: Fetcher<T>, options: CacheOptions): StampedePlan {
    const k = parseOrThrow(keySchema, key, "key");
    if (typeof fetcher !== "function") parseOrThrow(callable, fetcher, "fetcher");
    const o = parseOrThrow(cacheOptionsSchema, options, "options");
    this.#assertOpen();
    // The same key with the same options (a burst of callers): the same plan, built once.
    if (!isMemoized(o)) return this.#buildPlan(k, o);
    let plans = this.#plans.get(o);
    if (plans === undefined) this.#plans.set(o, (plans = new Map<string, StampedePlan>()));
    let plan = plans.get(k);
    if (plan === undefined) {
      if (plans.size >= STAMPEDE_PLANS_PER_OPTIONS) plans.clear();
      plans.set(k, (plan = this.#buildPlan(k, o)));
    }
    return plan;
  }

  #buildPlan(k: string, o: z.output<typeof cacheOptionsSchema>): StampedePlan {
    const d = this.#settings;
    const ttl = o.ttl ?? DEFAULT_CACHE_TTL;
    return {
      key: k,
      dataKey: this.#dataKey(k),
      lockKey: d.stampedePrefix + k,
      ttl,
      staleTtl: o.staleTtl ?? ttl * 5,
      lockTtl: o.lockTtl ?? d.defaultTtl,
      timeout: o.timeout ?? d.defaultTimeout,
      returnStale: o.returnStale ?? false,
      staleIfErrorTtl: o.staleIfErrorTtl ?? d.staleIfErrorTtl,
      beta: o.beta ?? 0,
      degradeTo: o.degradeTo ?? d.degradeTo,
      signal: o.signal,
    };
  }
}
