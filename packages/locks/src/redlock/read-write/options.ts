import { z } from "zod";
import { milliseconds, resourceName, ttlMilliseconds } from "../../options/fields.js";
import { acquireOptionsSchema, usingOptionsSchema } from "../options.js";

/** Options of {@link Redlock.readWriteLock}. */
export const readWriteLockOptionsSchema = z.strictObject({
  /**
   * Hand every writer a fencing token (`handle.fencingToken`), larger than every earlier
   * writer's of this name; a reader downgraded from a writer keeps it. Readers get none.
   * Default: the Redlock's `fencing`.
   */
  fencing: z.boolean({ error: "must be true or false" }).optional(),
  /**
   * How long a waiting writer's intent keeps new readers out after its last attempt, in ms:
   * the writer renews it while it waits (an attempt at least every half of it), so a writer
   * that gave up or crashed stops blocking readers after at most this long. Default 2000.
   */
  intentTtl: ttlMilliseconds().min(20, { error: "must be at least 20 ms" }).optional(),
});

/** Options of {@link Redlock.readWriteLock}: see {@link readWriteLockOptionsSchema}. */
export type ReadWriteLockOptions = z.input<typeof readWriteLockOptionsSchema>;

/**
 * Per-call options of `acquireRead()` / `acquireWrite()`: those of `acquire()` without `fair`
 * and `fencing` (a read-write lock's fencing is its own option).
 */
export const rwAcquireOptionsSchema = acquireOptionsSchema.omit({ fair: true, fencing: true });

/** Per-call options of `acquireRead()` / `acquireWrite()`: see {@link rwAcquireOptionsSchema}. */
export type RwAcquireOptions = z.input<typeof rwAcquireOptionsSchema>;

/** Options of `usingRead()` / `usingWrite()`: those of `using()` without `fair` and `fencing`. */
export const rwUsingOptionsSchema = usingOptionsSchema.omit({ fair: true, fencing: true });

/** Options of `usingRead()` / `usingWrite()`: see {@link rwUsingOptionsSchema}. */
export type RwUsingOptions = z.input<typeof rwUsingOptionsSchema>;

const DECIMAL = /^[0-9]+$/;
const TOKEN = /^[0-9a-f]{16,128}$/;

/** A read or write handle's wire form (its toJSON()), as `adopt` accepts it. */
export const rwWireSchema = z.strictObject({
  v: z.literal(1, { error: "must be 1 (the wire format's version)" }),
  kind: z.enum(["read", "write"], { error: 'must be "read" or "write"' }),
  resources: z.tuple([resourceName()], { error: "must list the lock's name, alone" }),
  token: z.string({ error: "must be a string" }).regex(TOKEN, { error: "must be a lock token" }),
  expiration: milliseconds(),
  fencingToken: z
    .string({ error: "must be a string" })
    .regex(DECIMAL, { error: "must be a decimal number" })
    .optional(),
  name: resourceName(),
});
