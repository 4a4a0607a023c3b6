import { z } from "zod";
import { abortSignal, milliseconds, wholeNumber } from "../../options/fields.js";

/**
 * The largest `limit`: every acquisition sends every slot key of the semaphore to each node (a
 * permit may take any of them), so the call grows with the limit.
 */
export const MAX_SEMAPHORE_LIMIT = 1024;

/** Options of {@link Redlock.semaphore}. */
export const semaphoreOptionsSchema = z.strictObject({
  /**
   * How many permits may be valid at once, in total over every process (a whole number from 1 to
   * 1024). Every process must pass the same limit for one name: a process passing another one
   * while permits are held is refused with SemaphoreLimitError.
   */
  limit: wholeNumber(1).max(MAX_SEMAPHORE_LIMIT, {
    error: `must be at most ${MAX_SEMAPHORE_LIMIT}`,
  }),
  /**
   * Serve waiters in arrival order, so that a request for many permits is not starved by a stream
   * of small ones. Default: the Redlock's `fair`.
   */
  fair: z.boolean({ error: "must be true or false" }).optional(),
  /** Hand out a fencing token with each permit (one counter per semaphore). Default: the Redlock's `fencing`. */
  fencing: z.boolean({ error: "must be true or false" }).optional(),
});

/** Options of `redlock.semaphore(name, options)`: see {@link semaphoreOptionsSchema}. */
export type SemaphoreOptions = z.input<typeof semaphoreOptionsSchema>;

/** Options of {@link Semaphore.acquire}. All durations are milliseconds. */
export const permitOptionsSchema = z.strictObject({
  /** How many permits to take, all or none (1 to the limit). Default 1. */
  permits: wholeNumber(1).optional(),
  /** Aborts the wait (LockAbortedError). */
  signal: abortSignal.optional(),
  /** Longest wait for the permits (LockTimeoutError after it); 0 tries once. */
  timeout: milliseconds().optional(),
  /** As the Redlock's: retries after rounds that failed nodes or a full semaphore ended. */
  retryCount: wholeNumber(-1).optional(),
  /** As the Redlock's. */
  retryDelay: milliseconds().optional(),
  /** As the Redlock's. */
  retryJitter: milliseconds().optional(),
});

/** Per-call options of `semaphore.acquire()`: see {@link permitOptionsSchema}. */
export type PermitOptions = z.input<typeof permitOptionsSchema>;

/** Options of {@link Semaphore.using}: those of acquire, plus the watchdog's. */
export const permitUsingOptionsSchema = permitOptionsSchema.extend({
  /** As `using()`'s: the permit is extended when this much validity is left. */
  automaticExtensionThreshold: milliseconds().optional(),
  /** As `using()`'s. */
  maxExtensions: wholeNumber(0).optional(),
  /** As `using()`'s. */
  maxHoldTime: milliseconds().optional(),
});

/** Per-call options of `semaphore.using()`: see {@link permitUsingOptionsSchema}. */
export type PermitUsingOptions = z.input<typeof permitUsingOptionsSchema>;
