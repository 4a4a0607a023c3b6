import { EventEmitter } from "node:events";
import { z } from "zod";
import { jsonSerializer } from "../cache/serializer.js";
import { type Fetcher, type StampedePlan, StampedeProtection } from "../cache/stampede.js";
import type { CacheStore } from "../cache/store.js";
import {
  DeadlockError,
  LockAcquisitionError,
  LockConfigError,
  type LockError,
  LockTimeoutError,
} from "../errors/index.js";
import { resourceName } from "../options/fields.js";
import { isMemoized, parseOrThrow } from "../options/parse.js";
import type { Lock } from "../redlock/lock.js";
import { nodesOf, Redlock } from "../redlock/redlock.js";
import { Watchdog, type WatchdogCaps } from "../redlock/watchdog.js";
import { createCacheStore } from "./cache-store.js";
import { checkHealth, type HealthReport } from "./health.js";
import { createHandle, type HandleHooks, type LockHandle } from "./lock-handle.js";
import { type LockInfo, LockInfoRecorder } from "./lock-info.js";
import {
  type CacheOptions,
  cacheOptionsSchema,
  type CacheWriteOptions,
  cacheWriteOptionsSchema,
  DEFAULT_CACHE_TTL,
  type GetLockOptions,
  getLockOptionsSchema,
  type LockManagerOptions,
  lockManagerOptionsSchema,
  type ResolvedManagerOptions,
  type TryLockOptions,
  tryLockOptionsSchema,
  type WithLockOptions,
  withLockOptionsSchema,
} from "./options.js";
import { Reentrancy } from "./reentrancy.js";
import { type ManagerStatistics, Statistics } from "./statistics.js";

/** Events of a {@link LockManager}. Payloads never contain credentials. */
export interface LockManagerEvents {
  /** A client the manager created reported an error (connection refused, reset, ...). */
  nodeError: [node: string, error: Error];
  /** An autoExtend lock could not be kept; its handle's signal was aborted with `reason`. */
  lost: [name: string, reason: LockError];
  /** Releasing at the end of an `await using` scope or of withLock() failed. */
  releaseError: [name: string, error: LockError];
}

const nameSchema = resourceName();
/** Keys whose stampede plan is kept per options object (a burst's key among them). */
const STAMPEDE_PLANS_PER_OPTIONS = 64;
const functionSchema = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", {
  error: "must be a function",
});

/** Lock options with the manager's defaults applied. */
interface LockPlan {
  readonly ttl: number;
  readonly timeout: number;
  readonly retryDelay: number;
  readonly maxRetries: number;
  readonly signal: AbortSignal | undefined;
  readonly autoExtend: boolean;
  readonly caps: WatchdogCaps;
  readonly fencing: boolean;
}

/**
 * Distributed locks and cache-stampede protection over a Redlock of N Redis nodes: locks by name
 * with stale-data fallback, scoped locks with deadlock detection, one refresh per cache key across
 * processes, lock info, exact statistics and health checks.
 *
 * @example
 * const manager = new LockManager({ redisNodes: ["redis://n1:6379", "redis://n2:6379", "redis://n3:6379"] });
 * await using handle = await manager.getLock("user:123", { ttl: 10_000, timeout: 2_000 });
 */
export class LockManager extends EventEmitter<LockManagerEvents> {
  /** The options in force, defaults applied. */
  readonly options: Readonly<ResolvedManagerOptions>;
  /** The Redlock under the manager, for what the manager does not cover. */
  readonly redlock: Redlock;
  readonly #stats = new Statistics();
  readonly #reentrancy = new Reentrancy();
  /** Stampede plans by (memoized) options, then by key. */
  readonly #stampedePlans = new WeakMap<object, Map<string, StampedePlan>>();
  readonly #info: LockInfoRecorder;
  readonly #store: CacheStore;
  readonly #ownsStore: boolean;
  readonly #stampede: StampedeProtection;
  readonly #acquiredAt = new WeakMap<Lock, number>();
  readonly #byName = new Map<string, LockHandle>();
  readonly #hooks: HandleHooks;
  #closed = false;

  /** @throws LockConfigError when an option or a node is invalid; nothing is connected then. */
  constructor(options: LockManagerOptions) {
    super();
    const o = parseOrThrow(lockManagerOptionsSchema, options, "");
    this.options = o;
    // Both are validated before either connects, so a bad option leaves nothing open.
    const { store, owned } = createCacheStore(o, (node, error) => {
      this.#nodeError(node, error);
    });
    try {
      this.redlock = createRedlock(o);
    } catch (error) {
      if (owned) void store.close().catch(() => undefined);
      throw error;
    }
    this.redlock.on("nodeError", (node, error) => {
      this.#nodeError(node, error);
    });
    this.#store = store;
    this.#ownsStore = owned;
    const nodes = nodesOf(this.redlock);
    this.#info = new LockInfoRecorder(nodes, o.infoPrefix, o.commandTimeout, o.recordLockInfo);
    this.#hooks = {
      extended: (handle, lock, ttl) => {
        this.#stats.locks.extensions++;
        this.#record(handle.resource, lock, ttl);
      },
      released: (handle, lock) => {
        this.#stats.locks.releases++;
        this.#info.forget(handle.resource, lock.value);
        if (this.#byName.get(handle.resource) === handle) this.#byName.delete(handle.resource);
      },
      disposeFailed: (handle, error) => {
        this.emit("releaseError", handle.resource, error);
      },
    };
    this.#stampede = new StampedeProtection({
      store,
      serializer: o.serializer ?? jsonSerializer,
      counters: this.#stats.cache,
      recordWait: (ms) => {
        this.#stats.waits.record(ms);
      },
      tryLock: async (lockKey, ttl) => {
        // One attempt (split votes among racing processes are tried again by acquire). The
        // refresh lock only saves duplicate fetches: quarantined nodes count, so that a cold
        // key right after nodes lost their data is still fetched once across processes.
        const lock = await this.redlock.acquire(lockKey, ttl, {
          timeout: 0,
          countQuarantined: true,
        });
        this.#stats.locks.acquisitions++;
        return lock;
      },
      release: async (lock) => {
        this.#stats.locks.releases++;
        await lock.release();
      },
      keepAlive: (lock, ttl) => this.#watchdog(lock.resources[0] ?? "", lock, ttl, undefined),
      runHolding: (lockKey, lock, fn) => this.#reentrancy.run(lockKey, lock, fn),
      holds: (lockKey) => this.#reentrancy.holds(lockKey),
      fallbackInterval: o.fallbackInterval,
    });
  }

  /** How many nodes must agree: floor(N/2)+1. */
  get quorum(): number {
    return this.redlock.quorum;
  }

  /**
   * Acquires the lock `name` and returns its handle; disposing the handle releases it.
   * @throws LockTimeoutError when the lock was not had within `timeout` (without returnStale;
   *   with it, the handle's hasLock() is false and getStaleData() holds the name's cached value),
   *   DeadlockError when this async context already holds `name` through withLock() or a
   *   decorator (unless `reentrant`), LockConfigError for invalid arguments.
   */
  async getLock(name: string, options: GetLockOptions = {}): Promise<LockHandle> {
    const n = parseOrThrow(nameSchema, name, "name");
    const o = parseOrThrow(getLockOptionsSchema, options, "options");
    this.#assertOpen();
    const nested = this.#reenter(n, o.reentrant === true);
    if (nested !== undefined) return nested;
    const plan = this.#lockPlan(o);
    try {
      return this.#handle(n, await this.#acquire(n, plan), plan);
    } catch (error) {
      if (o.returnStale !== true || !(error instanceof LockAcquisitionError)) throw error;
      const stale = await this.#stampede.peek(this.#cacheKey(n), o.staleTtl);
      if (stale !== undefined) this.#stats.cache.staleServed++;
      return createHandle(n, { kind: "none", stale }, this.#hooks);
    }
  }

  /**
   * Runs `routine` holding the lock `name`, then releases it. Inside, this async context holds
   * `name`: acquiring it again throws DeadlockError at once, or with `reentrant: true` runs inside
   * this hold. A release failure goes to the `releaseError` event and never replaces the
   * routine's result or error.
   */
  async withLock<T>(
    name: string,
    routine: (handle: LockHandle) => T | Promise<T>,
    options: WithLockOptions = {},
  ): Promise<T> {
    const n = parseOrThrow(nameSchema, name, "name");
    parseOrThrow(functionSchema, routine, "routine");
    const o = parseOrThrow(withLockOptionsSchema, options, "options");
    this.#assertOpen();
    const nested = this.#reenter(n, o.reentrant === true);
    if (nested !== undefined) return routine(nested);
    const plan = this.#lockPlan(o);
    const lock = await this.#acquire(n, plan);
    const handle = this.#handle(n, lock, plan);
    try {
      return await this.#reentrancy.run(this.#lockKey(n), lock, async () => routine(handle));
    } finally {
      await handle[Symbol.asyncDispose]();
    }
  }

  /**
   * Tries to take the lock `name` for this manager, waiting up to `timeout`; true when it was
   * taken. Release it with unlock(name). False at once when this manager already holds it.
   */
  async tryLock(name: string, options: TryLockOptions = {}): Promise<boolean> {
    const n = parseOrThrow(nameSchema, name, "name");
    const o = parseOrThrow(tryLockOptionsSchema, options, "options");
    this.#assertOpen();
    if (this.#byName.get(n)?.hasLock() === true) return false;
    const plan = this.#lockPlan(o);
    try {
      this.#byName.set(n, this.#handle(n, await this.#acquire(n, plan), plan));
      return true;
    } catch (error) {
      if (error instanceof LockAcquisitionError) return false;
      throw error;
    }
  }

  /**
   * Releases the lock `name` taken by tryLock(); false when this manager does not hold it.
   * @throws LockExpiredError or LockOwnershipError when it was lost before the release.
   */
  async unlock(name: string): Promise<boolean> {
    const n = parseOrThrow(nameSchema, name, "name");
    const handle = this.#byName.get(n);
    if (handle === undefined) return false;
    this.#byName.delete(n);
    await handle.release();
    return true;
  }

  /**
   * The cached value of `key`: fresh values without locking; on a miss or a stale value one
   * caller across all processes runs `fetcher` (under a Redlock on the key) and the others get
   * the stale value at once (`returnStale`) or wait for the new one, up to `timeout`.
   * @throws LockTimeoutError when waiting ran out, the fetcher's own error (to every waiter of
   *   its round, unless a stale value can be served), CacheValueError for `undefined`.
   */
  protectCacheStampede<T>(
    key: string,
    fetcher: Fetcher<T>,
    options: CacheOptions = {},
  ): Promise<T> {
    // Not async: one promise and two ticks less per caller, which a burst of callers feels.
    let plan: StampedePlan;
    try {
      plan = this.#stampedePlan(key, fetcher, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#stampede.protect(plan, fetcher);
  }

  /**
   * Refreshes `key` now, once across processes: joins a refresh under way, or waits for the
   * process that holds the refresh lock, and returns the new value.
   */
  async refreshWithLock<T>(
    key: string,
    fetcher: Fetcher<T>,
    options: CacheOptions = {},
  ): Promise<T> {
    return this.#stampede.refresh(this.#stampedePlan(key, fetcher, options), fetcher);
  }

  /** The value cached under `key`, fresh or stale, or undefined; never fetches. */
  async getCached<T = unknown>(key: string): Promise<T | undefined> {
    return this.#stampede.peek<T>(this.#cacheKey(parseOrThrow(nameSchema, key, "key")));
  }

  /** Caches `value` under `key` (for a lock holder that computed it); wakes waiters. */
  async setCached(key: string, value: unknown, options: CacheWriteOptions = {}): Promise<void> {
    const k = parseOrThrow(nameSchema, key, "key");
    const o = parseOrThrow(cacheWriteOptionsSchema, options, "options");
    const ttl = o.ttl ?? DEFAULT_CACHE_TTL;
    await this.#stampede.write(
      { key: k, dataKey: this.#cacheKey(k), ttl, staleTtl: o.staleTtl ?? ttl * 5 },
      value,
    );
  }

  /** Removes the value cached under `key`. */
  async invalidate(key: string): Promise<void> {
    await this.#store.delete(this.#cacheKey(parseOrThrow(nameSchema, key, "key")));
  }

  /** True only when a quorum of nodes holds the lock `name` (for one owner). */
  async isLocked(name: string): Promise<boolean> {
    return (await this.getLockInfo(name)) !== null;
  }

  /** Who holds the lock `name`, read from the nodes; null when no quorum holds it. */
  async getLockInfo(name: string): Promise<LockInfo | null> {
    const n = parseOrThrow(nameSchema, name, "name");
    return this.#info.read(n, this.#lockKey(n), this.quorum);
  }

  /** Exact counters since the manager was created, wait percentiles, and each node's state. */
  getStatistics(): ManagerStatistics {
    return {
      locks: { ...this.#stats.locks },
      cache: { ...this.#stats.cache, inFlight: this.#stampede.inFlight },
      waits: this.#stats.waits.summary(),
      nodes: this.#stats.nodes(nodesOf(this.redlock)),
      quorum: this.quorum,
      defaultTtl: this.options.defaultTtl,
      heldByName: this.#byName.size,
    };
  }

  /** PINGs every node and the cache store; healthy when a quorum of nodes answered. */
  async healthCheck(): Promise<HealthReport> {
    return checkHealth(
      nodesOf(this.redlock),
      this.quorum,
      this.#store,
      this.options.commandTimeout,
    );
  }

  /**
   * Lets refreshes under way finish (a background refresh writes its value), releases the locks
   * taken by tryLock(), then closes the clients and the store it created.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stampede.drain();
    const held = [...this.#byName.values()];
    this.#byName.clear();
    await Promise.all(held.map((h) => h.release().catch(() => undefined)));
    await Promise.all([
      this.redlock.quit(),
      this.#ownsStore ? this.#store.close() : Promise.resolve(),
    ]);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new LockConfigError([{ field: "manager", message: "is closed" }]);
    }
  }

  #lockKey(name: string): string {
    return this.options.lockPrefix + name;
  }

  #cacheKey(key: string): string {
    return this.options.cachePrefix + key;
  }

  #lockPlan(o: {
    ttl?: number | undefined;
    timeout?: number | undefined;
    retryDelay?: number | undefined;
    maxRetries?: number | undefined;
    signal?: AbortSignal | undefined;
    autoExtend?: boolean | undefined;
    maxExtensions?: number | undefined;
    maxHoldTime?: number | undefined;
    fencing?: boolean | undefined;
  }): LockPlan {
    const d = this.options;
    const plan = {
      ttl: o.ttl ?? d.defaultTtl,
      timeout: o.timeout ?? d.defaultTimeout,
      retryDelay: o.retryDelay ?? d.retryDelay,
      maxRetries: o.maxRetries ?? d.maxRetries,
      signal: o.signal,
      autoExtend: o.autoExtend === true,
      caps: { maxExtensions: o.maxExtensions, maxHoldTime: o.maxHoldTime },
      fencing: o.fencing ?? d.fencing,
    };
    // A contradiction, checked once defaults are in: no retry could happen before the timeout.
    if (plan.timeout > 0 && plan.retryDelay >= plan.timeout) {
      throw new LockConfigError([
        {
          field: "options.retryDelay",
          message: `must be below the timeout (${plan.timeout} ms), or no retry could happen in time`,
        },
      ]);
    }
    return plan;
  }

  /** A handle inside a hold of `name` by this async context, or DeadlockError. */
  #reenter(name: string, reentrant: boolean): LockHandle | undefined {
    const key = this.#lockKey(name);
    if (!this.#reentrancy.holds(key)) return undefined;
    const outer = this.#reentrancy.lockOf(key);
    if (!reentrant || outer === undefined) {
      this.#stats.locks.deadlocks++;
      throw new DeadlockError(name);
    }
    return createHandle(name, { kind: "nested", lock: outer }, this.#hooks);
  }

  async #acquire(name: string, plan: LockPlan): Promise<Lock> {
    const started = performance.now();
    try {
      const lock = await this.redlock.acquire(this.#lockKey(name), plan.ttl, {
        timeout: plan.timeout,
        retryCount: plan.maxRetries,
        retryDelay: plan.retryDelay,
        fencing: plan.fencing,
        ...(plan.signal === undefined ? {} : { signal: plan.signal }),
      });
      this.#stats.locks.acquisitions++;
      this.#acquiredAt.set(lock, Date.now());
      this.#record(name, lock, plan.ttl);
      return lock;
    } catch (error) {
      if (error instanceof LockTimeoutError) this.#stats.locks.timeouts++;
      else this.#stats.locks.failures++;
      throw error;
    } finally {
      this.#stats.waits.record(performance.now() - started);
    }
  }

  #handle(name: string, lock: Lock, plan: LockPlan): LockHandle {
    const watchdog = plan.autoExtend
      ? this.#watchdog(name, lock, plan.ttl, name, plan.caps)
      : undefined;
    return createHandle(name, { kind: "own", lock, watchdog }, this.#hooks);
  }

  /** Extends `lock` before it expires; counts extensions and losses, and keeps its info. */
  #watchdog(
    label: string,
    lock: Lock,
    ttl: number,
    infoName: string | undefined,
    caps?: WatchdogCaps,
  ): Watchdog {
    return new Watchdog(
      lock,
      ttl,
      Math.floor(ttl / 3),
      (reason) => {
        this.#stats.locks.lostLocks++;
        this.emit("lost", label, reason);
      },
      () => {
        this.#stats.locks.extensions++;
        if (infoName !== undefined) this.#record(infoName, lock, ttl);
      },
      caps,
    );
  }

  #record(name: string, lock: Lock, ttl: number): void {
    this.#info.record(name, lock.value, this.#acquiredAt.get(lock) ?? Date.now(), ttl);
  }

  #stampedePlan<T>(key: string, fetcher: Fetcher<T>, options: CacheOptions): StampedePlan {
    const k = parseOrThrow(nameSchema, key, "key");
    if (typeof fetcher !== "function") parseOrThrow(functionSchema, fetcher, "fetcher");
    const o = parseOrThrow(cacheOptionsSchema, options, "options");
    this.#assertOpen();
    // The same key with the same options (a burst of callers): the same plan, built once.
    if (!isMemoized(o)) return this.#buildStampedePlan(k, o);
    let plans = this.#stampedePlans.get(o);
    if (plans === undefined) this.#stampedePlans.set(o, (plans = new Map<string, StampedePlan>()));
    let plan = plans.get(k);
    if (plan === undefined) {
      if (plans.size >= STAMPEDE_PLANS_PER_OPTIONS) plans.clear();
      plans.set(k, (plan = this.#buildStampedePlan(k, o)));
    }
    return plan;
  }

  #buildStampedePlan(k: string, o: z.output<typeof cacheOptionsSchema>): StampedePlan {
    const d = this.options;
    const ttl = o.ttl ?? DEFAULT_CACHE_TTL;
    return {
      key: k,
      dataKey: this.#cacheKey(k),
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

  #nodeError(node: string, error: Error): void {
    this.#stats.connectionError(node);
    if (this.listenerCount("nodeError") > 0) this.emit("nodeError", node, error);
  }
}

/** The Redlock from the manager's seed-style options; node errors name `redisNodes`. */
function createRedlock(o: ResolvedManagerOptions): Redlock {
  try {
    return new Redlock(o.redisNodes, {
      driftFactor: o.clockDriftFactor,
      retryCount: o.maxRetries,
      retryDelay: o.retryDelay,
      retryJitter: o.retryJitter,
      commandTimeout: o.commandTimeout,
      connectTimeout: o.connectTimeout,
      fencing: o.fencing,
      minReplicas: o.minReplicas,
      strictRestartQuarantine: o.strictRestartQuarantine,
      ...(o.restartQuarantine === undefined ? {} : { restartQuarantine: o.restartQuarantine }),
      ...(o.clientOptions === undefined ? {} : { clientOptions: o.clientOptions }),
    });
  } catch (error) {
    if (!(error instanceof LockConfigError)) throw error;
    throw new LockConfigError(
      error.issues.map((i) => ({ ...i, field: i.field.replace(/^nodes/, "redisNodes") })),
    );
  }
}
