import { DeadlockError, LockAbortedError, LockAcquisitionError } from "../errors/index.js";
import type { Lock } from "../redlock/lock.js";
import { CacheFetchError, CacheTimeoutError, CacheValueError, FetchFailed } from "./errors.js";
import type { Serializer } from "./serializer.js";
import { type Flight, SingleFlight } from "./single-flight.js";
import type { CacheEntry, CacheNotice, CacheStore } from "./store.js";

/** Computes the value to cache; `signal` aborts if the refresh lock is lost meanwhile. */
export type Fetcher<T> = (signal: AbortSignal) => T | Promise<T>;

/** One protected read or refresh, options validated and defaults applied. */
export interface StampedePlan {
  /** The caller's key, for messages. */
  readonly key: string;
  /** The cache key in the store and the channel its writes are announced on. */
  readonly dataKey: string;
  /** The Redlock resource that lets one process refresh the key. */
  readonly lockKey: string;
  readonly ttl: number;
  readonly staleTtl: number;
  readonly lockTtl: number;
  readonly timeout: number;
  readonly returnStale: boolean;
  readonly staleIfErrorTtl: number;
  readonly beta: number;
  readonly degradeTo: "fetch" | "stale";
  readonly signal: AbortSignal | undefined;
}

/** Exact counters the stampede layer keeps up to date (the manager's statistics own them). */
export interface CacheCounters {
  hits: number;
  misses: number;
  staleServed: number;
  fetcherRuns: number;
  fetcherErrors: number;
  writes: number;
  writesRejected: number;
  storeErrors: number;
  degraded: number;
}

/** What the stampede layer needs from the manager. */
export interface StampedeDeps {
  readonly store: CacheStore;
  readonly serializer: Serializer;
  readonly counters: CacheCounters;
  recordWait(ms: number): void;
  /** One attempt at `lockKey`; rejects with LockAcquisitionError when it is not had. */
  tryLock(lockKey: string, ttl: number): Promise<Lock>;
  /** Releases a refresh lock (the manager counts it). */
  release(lock: Lock): Promise<void>;
  /** Keeps `lock` alive while the fetcher runs; `signal` aborts if it is lost. */
  keepAlive(lock: Lock, ttl: number): { readonly signal: AbortSignal; stop(): void };
  /** Runs `fn` in an async context marked as refreshing `lockKey`; `holds` asks. */
  runHolding<T>(lockKey: string, lock: Lock | null, fn: () => Promise<T>): Promise<T>;
  holds(lockKey: string): boolean;
  /** Longest a waiter sleeps between checks when no notification arrives. */
  readonly fallbackInterval: number;
}

interface Result {
  readonly payload: string;
  readonly stale: boolean;
}

const noop = (): void => undefined;
const neverAborted = new AbortController().signal;

/**
 * Cache-stampede protection: a fresh value is served from the store; on a miss or a stale value
 * one process (the holder of a Redlock on the key) runs the fetcher, and within a process the
 * callers share one flight. Others get the stale value at once (stale-while-revalidate) or are
 * woken by the writer's notification.
 */
export class StampedeProtection {
  readonly #deps: StampedeDeps;
  readonly #flights = new SingleFlight<Result, StampedePlan>({
    timeout: (plan) => new CacheTimeoutError(plan.key, plan.timeout),
    abort: (plan, reason) => new LockAbortedError([plan.key], reason),
  });
  readonly #reads = new Map<string, Promise<CacheEntry | undefined>>();

  constructor(deps: StampedeDeps) {
    this.#deps = deps;
  }

  /** Flights under way in this process. */
  get inFlight(): number {
    return this.#flights.size;
  }

  /** Resolves once the refreshes under way (background ones included) have settled. */
  drain(): Promise<void> {
    return this.#flights.drain();
  }

  /** The cached value, refreshed once across processes when it is missing or stale. */
  async protect<T>(plan: StampedePlan, fetcher: Fetcher<T>): Promise<T> {
    this.#assertNotRefreshing(plan);
    const counters = this.#deps.counters;
    const entry = await this.#read(plan.dataKey);
    const now = Date.now();
    if (entry !== undefined && now < entry.freshUntil) {
      counters.hits++;
      if (plan.beta > 0 && refreshEarly(entry, plan.beta, now)) {
        this.#background(plan, fetcher, entry.generation);
      }
      return this.#decode<T>(entry.payload);
    }
    if (entry !== undefined && plan.returnStale) {
      counters.staleServed++;
      // After a failed refresh the source is left alone until the back-off ends.
      if (now >= entry.errorUntil) this.#background(plan, fetcher, entry.generation);
      return this.#decode<T>(entry.payload);
    }
    counters.misses++;
    return await this.#wait(plan, fetcher, entry);
  }

  /** Refreshes the value now (once across processes) and returns the new one. */
  async refresh<T>(plan: StampedePlan, fetcher: Fetcher<T>): Promise<T> {
    this.#assertNotRefreshing(plan);
    return this.#wait(plan, fetcher, await this.#read(plan.dataKey));
  }

  /** The cached value, fresh or stale, without refreshing. */
  async peek<T>(dataKey: string, maxAge = Infinity): Promise<T | undefined> {
    const entry = await this.#read(dataKey);
    if (entry === undefined || Date.now() - entry.writtenAt > maxAge) return undefined;
    return this.#decode<T>(entry.payload);
  }

  /** Writes `value` unconditionally (for callers that computed it themselves). */
  async write(plan: Pick<StampedePlan, "key" | "dataKey" | "ttl" | "staleTtl">, value: unknown) {
    const payload = this.#encode(plan.key, value);
    await this.#deps.store.set(plan.dataKey, { ...plan, payload, fetchDuration: 0 });
    this.#deps.counters.writes++;
  }

  #assertNotRefreshing(plan: StampedePlan): void {
    // The fetcher of this key asking for the key again would wait for itself.
    if (this.#deps.holds(plan.lockKey)) throw new DeadlockError(plan.key);
  }

  async #wait<T>(plan: StampedePlan, fetcher: Fetcher<T>, seen: CacheEntry | undefined) {
    const started = performance.now();
    const deadline = started + plan.timeout;
    try {
      for (;;) {
        const flight =
          this.#flights.find(plan.dataKey, deadline) ??
          this.#flights.start(plan.dataKey, deadline, (f) =>
            this.#fly(plan, fetcher, seen?.generation ?? 0, f),
          );
        try {
          const result = await flight.wait(plan, deadline, plan.signal);
          if (result.stale) this.#deps.counters.staleServed++;
          return this.#decode<T>(result.payload);
        } catch (error) {
          // A flight that gave up just before this caller joined it: start another.
          if (error instanceof FlightExpired && performance.now() < deadline) continue;
          throw error instanceof FlightExpired
            ? new CacheTimeoutError(plan.key, plan.timeout)
            : error;
        }
      }
    } catch (error) {
      const failed = error instanceof FetchFailed || error instanceof CacheFetchError;
      if (failed && plan.returnStale && seen !== undefined) {
        this.#deps.counters.staleServed++; // stale-if-error
        return this.#decode<T>(seen.payload);
      }
      throw error instanceof FetchFailed ? error.error : error;
    } finally {
      this.#deps.recordWait(performance.now() - started);
    }
  }

  /** A refresh nobody waits for: it tries once and gives up if another process is at it. */
  #background<T>(plan: StampedePlan, fetcher: Fetcher<T>, seen: number): void {
    const now = performance.now();
    if (this.#flights.find(plan.dataKey, now) !== undefined) return;
    this.#flights.start(plan.dataKey, now, (f) => this.#fly(plan, fetcher, seen, f));
  }

  async #fly<T>(
    plan: StampedePlan,
    fetcher: Fetcher<T>,
    seen: number,
    flight: Flight<Result, StampedePlan>,
  ) {
    const waiter = new NoticeWaiter();
    let listening: Promise<() => void> | undefined;
    try {
      for (;;) {
        let lock: Lock;
        try {
          lock = await this.#deps.tryLock(plan.lockKey, plan.lockTtl);
        } catch (error) {
          if (!(error instanceof LockAcquisitionError)) throw error;
          // Only a real outage degrades: a held or split lock means another process refreshes.
          if (error.reason === "unavailable") {
            return await this.#degrade(plan, fetcher, seen, error);
          }
          // Another process refreshes the key: listen first, then look, so no write is missed.
          listening ??= this.#deps.store
            .listen(plan.dataKey, (notice) => {
              waiter.notify(notice);
            })
            .catch(() => noop);
          await listening;
          const done =
            (await this.#freshSince(plan, seen)) ??
            (await this.#sleep(plan, flight, waiter, error, seen));
          if (done !== undefined) return done;
          continue;
        }
        return await this.#fetchUnderLock(plan, fetcher, seen, lock);
      }
    } finally {
      if (listening !== undefined)
        void listening.then((stop) => {
          stop();
        });
    }
  }

  /** Sleeps until a notice, the holder's ttl or the fallback interval; then looks again. */
  async #sleep(
    plan: StampedePlan,
    flight: Flight<Result, StampedePlan>,
    waiter: NoticeWaiter,
    error: LockAcquisitionError,
    seen: number,
  ): Promise<Result | undefined> {
    const left = flight.deadline - performance.now();
    if (left <= 0) throw new FlightExpired();
    const holderGone = error.holderTtl === undefined ? Infinity : error.holderTtl + 5;
    await waiter.wait(Math.min(left, holderGone, this.#deps.fallbackInterval));
    const failure = waiter.takeFailure();
    if (failure !== undefined) throw new CacheFetchError(plan.key, failure);
    // The writer's notice carried the value: no need to read it back.
    const written = waiter.takeEntry();
    if (written !== undefined && isFreshSince(written, seen)) {
      return { payload: written.payload, stale: false };
    }
    return this.#freshSince(plan, seen);
  }

  async #fetchUnderLock<T>(plan: StampedePlan, fetcher: Fetcher<T>, seen: number, lock: Lock) {
    const keeper = this.#deps.keepAlive(lock, plan.lockTtl);
    try {
      // Another process may have refreshed the key between our look and our lock.
      const current = await this.#read(plan.dataKey);
      if (current !== undefined && isFreshSince(current, seen)) {
        return { payload: current.payload, stale: false };
      }
      return await this.#fetchAndWrite(
        plan,
        fetcher,
        current?.generation ?? 0,
        lock,
        keeper.signal,
      );
    } finally {
      keeper.stop();
      await this.#deps.release(lock).catch(noop);
    }
  }

  async #fetchAndWrite<T>(
    plan: StampedePlan,
    fetcher: Fetcher<T>,
    expected: number,
    lock: Lock | null,
    signal: AbortSignal,
  ): Promise<Result> {
    const { store, counters } = this.#deps;
    counters.fetcherRuns++;
    const started = performance.now();
    let payload: string;
    try {
      const value = await this.#deps.runHolding(plan.lockKey, lock, async () => fetcher(signal));
      payload = this.#encode(plan.key, value);
    } catch (error) {
      // Counted once the back-off is recorded, so that a count seen means the back-off is on.
      await store.fail(plan.dataKey, expected, plan.staleIfErrorTtl, describe(error)).catch(() => {
        counters.storeErrors++;
      });
      counters.fetcherErrors++;
      throw new FetchFailed(error);
    }
    const write = { payload, ttl: plan.ttl, staleTtl: plan.staleTtl };
    // Guarded: refused when the entry changed since `expected` was read (a newer value is there).
    const written = await store
      .set(plan.dataKey, { ...write, fetchDuration: performance.now() - started }, expected)
      .then(
        (generation) => (generation === undefined ? "refused" : "written"),
        () => "failed",
      );
    if (written === "written") counters.writes++;
    else if (written === "refused") counters.writesRejected++;
    else counters.storeErrors++;
    return { payload, stale: false };
  }

  /** The locks are unreachable: serve what the store has, or fetch without the lock. */
  async #degrade<T>(
    plan: StampedePlan,
    fetcher: Fetcher<T>,
    seen: number,
    error: LockAcquisitionError,
  ): Promise<Result> {
    this.#deps.counters.degraded++;
    const current = await this.#read(plan.dataKey);
    if (current !== undefined && isFreshSince(current, seen)) {
      return { payload: current.payload, stale: false };
    }
    if (plan.degradeTo === "stale") {
      if (current === undefined) throw error;
      return { payload: current.payload, stale: true };
    }
    return this.#fetchAndWrite(plan, fetcher, current?.generation ?? 0, null, neverAborted);
  }

  async #freshSince(plan: StampedePlan, seen: number): Promise<Result | undefined> {
    const entry = await this.#read(plan.dataKey);
    return entry !== undefined && isFreshSince(entry, seen)
      ? { payload: entry.payload, stale: false }
      : undefined;
  }

  /**
   * Reads an entry; concurrent reads of one key in this process share one round trip (a burst
   * of a thousand callers costs one read, not a thousand). A store that fails reads as empty:
   * the caller fetches instead of failing.
   */
  #read(dataKey: string): Promise<CacheEntry | undefined> {
    let read = this.#reads.get(dataKey);
    if (read === undefined) {
      read = this.#deps.store.get(dataKey).then(
        (entry) => {
          this.#reads.delete(dataKey);
          return entry;
        },
        () => {
          this.#reads.delete(dataKey);
          this.#deps.counters.storeErrors++;
          return undefined;
        },
      );
      this.#reads.set(dataKey, read);
    }
    return read;
  }

  #encode(key: string, value: unknown): string {
    if (value === undefined) {
      throw new CacheValueError(
        key,
        "the fetcher returned undefined; return null to cache “no value”",
      );
    }
    const payload = this.#deps.serializer.serialize(value);
    if (typeof payload !== "string") {
      throw new CacheValueError(key, "the serializer did not return a string");
    }
    return payload;
  }

  // The caller names T; the serializer is trusted to give back what was cached.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  #decode<T>(payload: string): T {
    return this.#deps.serializer.deserialize(payload) as T;
  }
}

/** A flight stopped waiting for another process: every caller's deadline had passed. */
class FlightExpired extends Error {
  constructor() {
    super("no caller waits any longer");
  }
}

/** Collects notices for one flight; a notice that arrives between sleeps ends the next one at once. */
class NoticeWaiter {
  #failure: string | undefined;
  #entry: CacheEntry | undefined;
  #pending = false;
  #wake: (() => void) | undefined;

  notify(notice: CacheNotice): void {
    if (notice.kind === "failed") this.#failure = notice.message;
    else this.#entry = notice.entry;
    this.#pending = true;
    this.#wake?.();
  }

  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake?.();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#pending = false;
        resolve();
      };
    });
  }

  takeFailure(): string | undefined {
    const failure = this.#failure;
    this.#failure = undefined;
    return failure;
  }

  /** The entry the last written notice carried, if it did. */
  takeEntry(): CacheEntry | undefined {
    const entry = this.#entry;
    this.#entry = undefined;
    return entry;
  }
}

/** A value written after the generation `seen` and still fresh: what a waiter waits for. */
function isFreshSince(entry: CacheEntry, seen: number): boolean {
  return entry.generation !== seen && Date.now() < entry.freshUntil;
}

/**
 * XFetch (Vattani et al., "Optimal probabilistic cache stampede prevention"): refresh early
 * with a probability that grows as expiry nears, scaled by how long the fetch takes and `beta`.
 */
function refreshEarly(entry: CacheEntry, beta: number, now: number): boolean {
  const delta = Math.max(entry.fetchDuration, 1);
  return now - delta * beta * Math.log(Math.random()) >= entry.freshUntil;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
