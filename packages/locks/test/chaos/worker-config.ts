import type { RedlockOptions } from "../../src/index.js";

/**
 * What the workers contend for: one lock (`mutex`, the fenced store written in each hold), the
 * permits of one semaphore of `limit` (`semaphore`), or one read-write lock's read and write
 * leases (`read-write`). Absent in older configs: `mutex`.
 */
export type ChaosSchedule = "mutex" | "semaphore" | "read-write";

/** What the orchestrator tells each chaos worker (as JSON in its first argument). */
export interface WorkerConfig {
  readonly schedule?: ChaosSchedule | undefined;
  /** semaphore: the limit; each hold takes 1 permit, or (one hold in four) all of them. */
  readonly limit?: number | undefined;
  /** read-write: the fraction of holds that are writes (the rest read). */
  readonly writeShare?: number | undefined;
  readonly owner: string;
  /** The nodes, through their proxies. */
  readonly urls: readonly string[];
  /** The fenced store, reached directly: the nemesis never touches it. */
  readonly storeUrl: string;
  readonly resource: string;
  readonly ttl: number;
  /** Writes to the store per hold, each after checking the lock (mutex; the other schedules
   * check the hold as often but write nothing: their holders share, so one fenced store does
   * not apply). */
  readonly writes: number;
  /**
   * The fraction of holds (0 to 1) that are long: the worker keeps writing, each write after
   * checking the lock, until shortly before its validity ends, instead of `writes` times.
   */
  readonly longHolds: number;
  /**
   * acquire()'s timeout, ms. With one, a worker that finds the lock held waits for its release
   * (a notification) or its ttl; without one (undefined), each wait lasts at most retryDelay +
   * retryJitter, so the worker tries again every few tens of ms, as node-redlock's clients do,
   * and is the one to notice at once that nodes forgot a live lock.
   */
  readonly acquireTimeout: number | undefined;
  readonly log: string;
  readonly redlock: RedlockOptions;
}
