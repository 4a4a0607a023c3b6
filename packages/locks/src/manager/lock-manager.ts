import { EventEmitter } from "node:events";
import type { Fetcher } from "../cache/stampede.js";
import { assertNodes } from "../client/node-inputs.js";
import {
  DeadlockError,
  LockAcquisitionError,
  LockConfigError,
  type LockError,
  LockTimeoutError,
} from "../errors/index.js";
import { callable, resourceName } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { type Lock, lockFlavour } from "../redlock/lock.js";
import type { ReadWriteLock } from "../redlock/read-write/read-write-lock.js";
import type { ReadWriteLockOptions } from "../redlock/read-write/options.js";
import type { Semaphore } from "../redlock/semaphore/semaphore.js";
import { nodesOf, Redlock } from "../redlock/redlock.js";
import { defaultExtensionThreshold, Watchdog, type WatchdogCaps } from "../redlock/watchdog.js";
import { ManagerCache } from "./cache-facet.js";
import { createCacheStore } from "./cache-store.js";
import { checkHealth, type HealthReport } from "./health.js";
import { createHandle, type HandleHooks, type LockHandle } from "./lock-handle.js";
import { type LockInfo, LockInfoRecorder } from "./lock-info.js";
import {
  type CacheOptions,
  type CacheWriteOptions,
  type GetLockOptions,
  getLockOptionsSchema,
  type GetSemaphoreOptions,
  getSemaphoreOptionsSchema,
  type LockManagerOptions,
  lockManagerOptionsSchema,
  redlockOptionsOf,
  type ResolvedManagerOptions,
  type TryLockOptions,
  tryLockOptionsSchema,
  type WithLockOptions,
  withLockOptionsSchema,
  type WithPermitOptions,
  withPermitOptionsSchema,
  type WithReadWriteLockOptions,
  withReadWriteLockOptionsSchema,
} from "./options.js";
import { Reentrancy } from "./reentrancy.js";
import {
  type RunOnceOptions,
  type RunOnceResult,
  type RunOnceRoutine,
  runOncePerFire,
} from "./run-once.js";
import { type HoldKind, type ManagerStatistics, Statistics } from "./statistics.js";

/** Events of a {@link LockManager}. Payloads never contain credentials. */
export interface LockManagerEvents {
  /** A client the manager created reported an error (connection refused, reset, ...). */
  nodeError: [node: string, error: Error];
  /**
   * An autoExtend lock (or the permit or lease of withPermit, withReadLock, withWriteLock) could
   * not be kept; its handle's signal was aborted with `reason`. `kind` names the primitive.
   */
  lost: [name: string, reason: LockError, kind: HoldKind];
  /** Releasing at the end of an `await using` scope or of withLock() (withPermit, ...) failed. */
  releaseError: [name: string, error: LockError, kind: HoldKind];
}

const nameSchema = resourceName();

// Reentrancy tags: a mutex, a semaphore and a read-write lock of one name are three primitives
// (their keys differ), so holding one says nothing about the others.
const PERMIT_TAG = "permit\u0000";
const RW_TAG = "rw\u0000";

/** What withPermit, withReadLock and withWriteLock run. */
export type ScopedRoutine<T> = (handle: LockHandle) => T | Promise<T>;

/** Lock options with the manager's defaults applied, in the Redlock's names. */
interface LockPlan {
  readonly ttl: number;
  readonly timeout: number;
  readonly retryDelay: number;
  /** The call's; undefined leaves the Redlock's (the manager's maxRetries). */
  readonly retryCount: number | undefined;
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
  readonly #info: LockInfoRecorder;
  readonly #cache: ManagerCache;
  readonly #acquiredAt = new WeakMap<Lock, number>();
  readonly #byName = new Map<string, LockHandle>();
  readonly #hooks: HandleHooks;
  readonly #scopedHooks: Record<Exclude<HoldKind, "lock">, HandleHooks>;
  #closed = false;

  /** @throws LockConfigError when an option or a node is invalid; nothing is connected then. */
  constructor(options: LockManagerOptions) {
    super();
    const settings = parseOrThrow(lockManagerOptionsSchema, options, "");
    this.options = settings;
    // Both are validated before either connects, so a bad option leaves nothing open.
    const { store, owned } = createCacheStore(settings, (node, error) => {
      this.#nodeError(node, error);
    });
    try {
      // Checked here under the manager's name for them: the Redlock would name them `nodes`.
      assertNodes(settings.redisNodes, "redisNodes");
      this.redlock = new Redlock(settings.redisNodes, redlockOptionsOf(settings));
    } catch (error) {
      if (owned) void store.close().catch(() => undefined);
      throw error;
    }
    this.redlock.on("nodeError", (node, error) => {
      this.#nodeError(node, error);
    });
    const nodes = nodesOf(this.redlock);
    this.#info = new LockInfoRecorder(
      nodes,
      settings.infoPrefix,
      settings.commandTimeout,
      settings.recordLockInfo,
    );
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
        this.emit("releaseError", handle.resource, error, "lock");
      },
    };
    // Permits and leases keep no lock info (it describes a mutex's one holder): only counters.
    const scopedHooks = (kind: HoldKind): HandleHooks => ({
      extended: () => {
        this.#stats.locks.extensions++;
      },
      released: () => {
        this.#stats.locks.releases++;
      },
      disposeFailed: (handle, error) => {
        this.emit("releaseError", handle.resource, error, kind);
      },
    });
    this.#scopedHooks = {
      permit: scopedHooks("permit"),
      read: scopedHooks("read"),
      write: scopedHooks("write"),
    };
    this.#cache = new ManagerCache(settings, store, owned, {
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
        this.#stats.acquired("lock");
        return lock;
      },
      release: async (lock) => {
        this.#stats.locks.releases++;
        await lock.release();
      },
      keepAlive: (lock, ttl) =>
        this.#watchdog(lock.resources[0] ?? "", lock, ttl, undefined, undefined, "lock"),
      runHolding: (lockKey, lock, fn) => this.#reentrancy.run(lockKey, lock, fn),
      holds: (lockKey) => this.#reentrancy.holds(lockKey),
      assertOpen: () => {
        this.#assertOpen();
      },
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
    const resource = parseOrThrow(nameSchema, name, "name");
    const call = parseOrThrow(getLockOptionsSchema, options, "options");
    this.#assertOpen();
    const nested = this.#reenter(resource, call.reentrant === true);
    if (nested !== undefined) return nested;
    const plan = this.#lockPlan(call);
    try {
      return this.#handle(resource, await this.#acquire(resource, plan), plan);
    } catch (error) {
      if (call.returnStale !== true || !(error instanceof LockAcquisitionError)) throw error;
      const stale = await this.#cache.peek(resource, call.staleTtl);
      if (stale !== undefined) this.#stats.cache.staleServed++;
      return createHandle(resource, { kind: "none", stale }, this.#hooks);
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
    const resource = parseOrThrow(nameSchema, name, "name");
    parseOrThrow(callable, routine, "routine");
    const call = parseOrThrow(withLockOptionsSchema, options, "options");
    this.#assertOpen();
    const nested = this.#reenter(resource, call.reentrant === true);
    if (nested !== undefined) return routine(nested);
    const plan = this.#lockPlan(call);
    const lock = await this.#acquire(resource, plan);
    const handle = this.#handle(resource, lock, plan);
    try {
      return await this.#reentrancy.run(this.#lockKey(resource), lock, async () => routine(handle));
    } finally {
      await handle[Symbol.asyncDispose]();
    }
  }

  /**
   * The semaphore `name` of the manager's Redlock, under the manager's `lockPrefix` as withLock's
   * names are (`getSemaphore("db", ...)` is the Redlock's semaphore `lock:db`): for acquiring
   * permits by hand (`acquire`, `using`, `inUse`, `adopt`). withPermit() is the scoped form.
   * @throws LockConfigError for a bad name or options (nothing is sent).
   */
  getSemaphore(name: string, options: GetSemaphoreOptions): Semaphore {
    const resource = parseOrThrow(nameSchema, name, "name");
    const opts = parseOrThrow(getSemaphoreOptionsSchema, options, "options");
    this.#assertOpen();
    return this.redlock.semaphore(this.#lockKey(resource), opts);
  }

  /**
   * The read-write lock `name` of the manager's Redlock, under the manager's `lockPrefix`: for
   * leases by hand (`acquireRead`, `acquireWrite`, `downgrade`, `adopt`). withReadLock() and
   * withWriteLock() are the scoped forms.
   * @throws LockConfigError for a bad name or options (nothing is sent).
   */
  getReadWriteLock(name: string, options: ReadWriteLockOptions = {}): ReadWriteLock {
    const resource = parseOrThrow(nameSchema, name, "name");
    this.#assertOpen();
    return this.redlock.readWriteLock(this.#lockKey(resource), options);
  }

  /**
   * Runs `routine` holding `permits` (default 1) of the semaphore `name` of limit `limit`, all or
   * none, extended while it runs (its handle's signal aborts if they are lost), then gives them
   * back. At most `limit` permits of the name are held at once over every process.
   *
   * Nested in a withPermit() of the same name in this async context, it takes more permits
   * (waiting for others' releases) as long as the context's permits plus the new ones fit within
   * the limit; beyond, only the context's own release could make room, so it throws
   * DeadlockError at once instead of waiting for itself.
   * @throws LockConfigError for bad arguments (nothing is sent), DeadlockError as above,
   *   LockTimeoutError, LockAcquisitionError, LockAbortedError, SemaphoreLimitError (another
   *   limit is in force for the name).
   */
  async withPermit<T>(
    name: string,
    options: WithPermitOptions,
    routine: ScopedRoutine<T>,
  ): Promise<T> {
    const resource = parseOrThrow(nameSchema, name, "name");
    const call = parseOrThrow(withPermitOptionsSchema, options, "options");
    parseOrThrow(callable, routine, "routine");
    const permits = call.permits ?? 1;
    this.#assertOpen();
    const key = PERMIT_TAG + this.#lockKey(resource);
    const held = this.#reentrancy.permitsOf(key);
    if (held + permits > call.limit) {
      this.#stats.locks.deadlocks++;
      throw new DeadlockError(
        resource,
        `it holds ${held} of the semaphore's ${call.limit} permits and asks for ${permits} more, which only its own release could free`,
      );
    }
    const plan = this.#lockPlan(call);
    const semaphore = this.redlock.semaphore(this.#lockKey(resource), {
      limit: call.limit,
      ...(call.fair === undefined ? {} : { fair: call.fair }),
      fencing: plan.fencing,
    });
    const permit = await this.#acquireKind("permit", () =>
      semaphore.acquire(plan.ttl, { permits, ...this.#waitOptions(plan) }),
    );
    return this.#runScoped("permit", resource, key, held + permits, permit.lock, plan, routine);
  }

  /**
   * Runs `routine` holding a read lease of the read-write lock `name` (shared with other
   * readers, excluding writers), extended while it runs, then releases it.
   *
   * Nested in a withReadLock() or withWriteLock() of the same name in this async context, it
   * runs inside that hold and acquires nothing: a write lock implies the read, and a second read
   * lease could wait behind a writer that waits for the first.
   * @throws LockConfigError for bad arguments, LockTimeoutError, LockAcquisitionError,
   *   LockAbortedError.
   */
  withReadLock<T>(name: string, routine: ScopedRoutine<T>): Promise<T>;
  withReadLock<T>(
    name: string,
    options: WithReadWriteLockOptions,
    routine: ScopedRoutine<T>,
  ): Promise<T>;
  withReadLock<T>(
    name: string,
    optionsOrRoutine: WithReadWriteLockOptions | ScopedRoutine<T>,
    routine?: ScopedRoutine<T>,
  ): Promise<T> {
    return this.#withLease("read", name, optionsOrRoutine, routine);
  }

  /**
   * Runs `routine` holding the write lease of the read-write lock `name` (no other writer, no
   * reader), extended while it runs, then releases it.
   *
   * Nested in a withReadLock() of the same name in this async context it throws DeadlockError
   * at once: the write would wait for the context's own read lease (the upgrade deadlock).
   * Nested in a withWriteLock() of the name it throws DeadlockError too, or with `reentrant:
   * true` runs inside the outer hold.
   * @throws as {@link LockManager.withReadLock}, and DeadlockError as above.
   */
  withWriteLock<T>(name: string, routine: ScopedRoutine<T>): Promise<T>;
  withWriteLock<T>(
    name: string,
    options: WithReadWriteLockOptions,
    routine: ScopedRoutine<T>,
  ): Promise<T>;
  withWriteLock<T>(
    name: string,
    optionsOrRoutine: WithReadWriteLockOptions | ScopedRoutine<T>,
    routine?: ScopedRoutine<T>,
  ): Promise<T> {
    return this.#withLease("write", name, optionsOrRoutine, routine);
  }

  /**
   * Tries to take the lock `name` for this manager, waiting up to `timeout`; true when it was
   * taken. Release it with unlock(name). False at once when this manager already holds it.
   */
  async tryLock(name: string, options: TryLockOptions = {}): Promise<boolean> {
    const resource = parseOrThrow(nameSchema, name, "name");
    const call = parseOrThrow(tryLockOptionsSchema, options, "options");
    this.#assertOpen();
    if (this.#byName.get(resource)?.hasLock() === true) return false;
    const plan = this.#lockPlan(call);
    try {
      this.#byName.set(resource, this.#handle(resource, await this.#acquire(resource, plan), plan));
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
    const resource = parseOrThrow(nameSchema, name, "name");
    const handle = this.#byName.get(resource);
    if (handle === undefined) return false;
    this.#byName.delete(resource);
    await handle.release();
    return true;
  }

  /**
   * Runs `routine` for one fire of the scheduled `job` on one process of the fleet: the one that
   * takes the lock `job@<slot>`, the slot being `at` (default now) rounded to the nearest
   * multiple of `slot` ms; the others skip it at once. The lock is extended while the routine
   * runs, then kept `keepDone` ms as the slot's done-marker, so that a process firing late skips
   * too. The routine's error is thrown after the slot is marked done.
   * @throws LockConfigError for bad arguments; LockAcquisitionError when the nodes could not say
   *   whether another process has the fire (the fire did not run here).
   */
  runOnce<T>(
    job: string,
    routine: RunOnceRoutine<T>,
    options: RunOnceOptions = {},
  ): Promise<RunOnceResult<T>> {
    return runOncePerFire(
      {
        options: this.options,
        redlock: this.redlock,
        emit: (event, name, reason) => this.emit(event, name, reason, "lock"),
        assertOpen: () => {
          this.#assertOpen();
        },
        count: (outcome) => {
          if (outcome === "acquired") this.#stats.acquired("lock");
          else if (outcome === "failed") this.#stats.locks.failures++;
          else this.#stats.locks.lostLocks++;
        },
      },
      job,
      routine,
      options,
    );
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
    return this.#cache.protect(key, fetcher, options);
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
    return this.#cache.refresh(key, fetcher, options);
  }

  /** The value cached under `key`, fresh or stale, or undefined; never fetches. */
  async getCached<T = unknown>(key: string): Promise<T | undefined> {
    return this.#cache.get<T>(key);
  }

  /** Caches `value` under `key` (for a lock holder that computed it); wakes waiters. */
  async setCached(key: string, value: unknown, options: CacheWriteOptions = {}): Promise<void> {
    await this.#cache.set(key, value, options);
  }

  /** Removes the value cached under `key`. */
  async invalidate(key: string): Promise<void> {
    await this.#cache.invalidate(key);
  }

  /** True only when a quorum of nodes holds the lock `name` (for one owner). */
  async isLocked(name: string): Promise<boolean> {
    return (await this.getLockInfo(name)) !== null;
  }

  /** Who holds the lock `name`, read from the nodes; null when no quorum holds it. */
  async getLockInfo(name: string): Promise<LockInfo | null> {
    const resource = parseOrThrow(nameSchema, name, "name");
    return this.#info.read(resource, this.#lockKey(resource), this.quorum);
  }

  /** Exact counters since the manager was created, wait percentiles, and each node's state. */
  getStatistics(): ManagerStatistics {
    return {
      locks: { ...this.#stats.locks },
      kinds: { ...this.#stats.kinds },
      cache: { ...this.#stats.cache, inFlight: this.#cache.inFlight },
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
      this.#cache.store,
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
    await this.#cache.drain();
    const held = [...this.#byName.values()];
    this.#byName.clear();
    await Promise.all(held.map((handle) => handle.release().catch(() => undefined)));
    await Promise.all([this.redlock.quit(), this.#cache.close()]);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new LockConfigError([{ field: "manager", message: "is closed" }]);
    }
  }

  #lockKey(name: string): string {
    return this.options.lockPrefix + name;
  }

  #lockPlan(call: {
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
    const defaults = this.options;
    const plan = {
      ttl: call.ttl ?? defaults.defaultTtl,
      timeout: call.timeout ?? defaults.defaultTimeout,
      retryDelay: call.retryDelay ?? defaults.retryDelay,
      retryCount: call.maxRetries,
      signal: call.signal,
      autoExtend: call.autoExtend === true,
      caps: { maxExtensions: call.maxExtensions, maxHoldTime: call.maxHoldTime },
      fencing: call.fencing ?? defaults.fencing,
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
    const lock = await this.#acquireKind("lock", () =>
      this.redlock.acquire(this.#lockKey(name), plan.ttl, {
        ...this.#waitOptions(plan),
        fencing: plan.fencing,
      }),
    );
    this.#acquiredAt.set(lock, Date.now());
    this.#record(name, lock, plan.ttl);
    return lock;
  }

  async #withLease<T>(
    mode: "read" | "write",
    name: string,
    optionsOrRoutine: WithReadWriteLockOptions | ScopedRoutine<T>,
    maybeRoutine: ScopedRoutine<T> | undefined,
  ): Promise<T> {
    const resource = parseOrThrow(nameSchema, name, "name");
    const routine = typeof optionsOrRoutine === "function" ? optionsOrRoutine : maybeRoutine;
    const options = typeof optionsOrRoutine === "function" ? {} : optionsOrRoutine;
    const call = parseOrThrow(withReadWriteLockOptionsSchema, options, "options");
    const run = parseOrThrow(callable, routine, "routine") as ScopedRoutine<T>;
    if (mode === "read" && call.reentrant !== undefined) {
      throw new LockConfigError([
        {
          field: "options.reentrant",
          message:
            "only applies to withWriteLock (a nested read lock always runs inside the outer hold)",
        },
      ]);
    }
    this.#assertOpen();
    const key = RW_TAG + this.#lockKey(resource);
    const outer = this.#reentrancy.lockOf(key);
    if (outer !== undefined) {
      const outerMode = lockFlavour(outer)?.kind;
      if (mode === "write" && (outerMode === "read" || call.reentrant !== true)) {
        this.#stats.locks.deadlocks++;
        throw outerMode === "read"
          ? new DeadlockError(
              resource,
              "a read lock cannot be upgraded to a write lock (the writer would wait for this very reader); take the write lock from the start",
            )
          : new DeadlockError(resource);
      }
      return run(createHandle(resource, { kind: "nested", lock: outer }, this.#scopedHooks[mode]));
    }
    const plan = this.#lockPlan(call);
    const rw = this.redlock.readWriteLock(this.#lockKey(resource), {
      fencing: plan.fencing,
      ...(call.intentTtl === undefined ? {} : { intentTtl: call.intentTtl }),
    });
    const wait = this.#waitOptions(plan);
    const lock = await this.#acquireKind(mode, () =>
      mode === "read" ? rw.acquireRead(plan.ttl, wait) : rw.acquireWrite(plan.ttl, wait),
    );
    return this.#runScoped(mode, resource, key, lock, lock, plan, run);
  }

  /** A plan's waiting options, in the Redlock's names. */
  #waitOptions(plan: LockPlan): {
    timeout: number;
    retryDelay: number;
    retryCount?: number;
    signal?: AbortSignal;
  } {
    return {
      timeout: plan.timeout,
      retryDelay: plan.retryDelay,
      ...(plan.retryCount === undefined ? {} : { retryCount: plan.retryCount }),
      ...(plan.signal === undefined ? {} : { signal: plan.signal }),
    };
  }

  /** Runs `routine` in a context holding `key`, with `lock` extended throughout, then releases it. */
  async #runScoped<T>(
    kind: Exclude<HoldKind, "lock">,
    resource: string,
    key: string,
    hold: Lock | number,
    lock: Lock,
    plan: LockPlan,
    routine: ScopedRoutine<T>,
  ): Promise<T> {
    const watchdog = this.#watchdog(resource, lock, plan.ttl, undefined, plan.caps, kind);
    const handle = createHandle(resource, { kind: "own", lock, watchdog }, this.#scopedHooks[kind]);
    try {
      return await this.#reentrancy.run(key, hold, async () => routine(handle));
    } finally {
      await handle[Symbol.asyncDispose]();
    }
  }

  /** Counts and times one acquisition of a `kind`. */
  async #acquireKind<H>(kind: HoldKind, acquire: () => Promise<H>): Promise<H> {
    const started = performance.now();
    try {
      const held = await acquire();
      this.#stats.acquired(kind);
      return held;
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
      ? this.#watchdog(name, lock, plan.ttl, name, plan.caps, "lock")
      : undefined;
    return createHandle(name, { kind: "own", lock, watchdog }, this.#hooks);
  }

  /**
   * Extends `lock` before it expires (at the cadence of Redlock.using(), in the Redlock's batched
   * renewal); counts extensions and losses, and keeps its info: the record rides along with each
   * extension, which gives it the lock's ttl, and is written again only where it cannot (a
   * Redis Cluster: another hash slot) or when a node had lost the lock's keys (healed).
   */
  #watchdog(
    label: string,
    lock: Lock,
    ttl: number,
    infoName: string | undefined,
    caps: WatchdogCaps | undefined,
    kind: HoldKind,
  ): Watchdog {
    const companion =
      infoName === undefined ? undefined : this.#info.companion(infoName, lock.value);
    return new Watchdog(
      lock,
      ttl,
      defaultExtensionThreshold(ttl),
      (reason) => {
        this.#stats.locks.lostLocks++;
        this.emit("lost", label, reason, kind);
      },
      (healed) => {
        this.#stats.locks.extensions++;
        if (infoName !== undefined && (companion === undefined || healed)) {
          this.#record(infoName, lock, ttl);
        }
      },
      caps,
      companion === undefined ? undefined : [companion],
    );
  }

  #record(name: string, lock: Lock, ttl: number): void {
    this.#info.record(name, lock.value, this.#acquiredAt.get(lock) ?? Date.now(), ttl);
  }

  #nodeError(node: string, error: Error): void {
    this.#stats.connectionError(node);
    if (this.listenerCount("nodeError") > 0) this.emit("nodeError", node, error);
  }
}
