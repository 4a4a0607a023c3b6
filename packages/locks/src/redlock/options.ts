import type { ClientOptions } from "../client/node-redis.js";
import { z } from "zod";
import {
  abortSignal,
  milliseconds,
  positiveMilliseconds,
  resourceName,
  wholeNumber,
} from "../options/fields.js";
import type { Clock } from "./clock.js";

/** Options of a {@link Redlock}. All durations are milliseconds. */
export const redlockOptionsSchema = z.strictObject({
  /**
   * Share of the ttl subtracted from a lock's validity for clock drift between nodes:
   * drift = ttl × driftFactor + 2 ms. In [0, 0.5). Default 0.01.
   */
  driftFactor: z
    .number({ error: "must be a number in [0, 0.5)" })
    .min(0, { error: "must be in [0, 0.5)" })
    .lt(0.5, { error: "must be in [0, 0.5)" })
    .default(0.01),
  /** Retries after the first attempt; -1 retries until `timeout` or the signal ends it. Default 10. */
  retryCount: wholeNumber(-1).default(10),
  /** Wait between attempts, before jitter. Default 200. */
  retryDelay: milliseconds().default(200),
  /** Random extra wait in [0, retryJitter) added to each retryDelay, so that waiters spread out. Default 200. */
  retryJitter: milliseconds().default(200),
  /**
   * `using()` extends the lock when this much validity is left; must be below the ttl. Default:
   * a third of each call's ttl, at most 500 (so any ttl works), and undefined here when unset.
   */
  automaticExtensionThreshold: milliseconds().optional(),
  /**
   * Longest wait for one node's reply in a round; after it the node counts as timed out, and a
   * node that leaves commands unanswered this long is skipped by acquisitions until it answers
   * again. Default 500.
   */
  commandTimeout: positiveMilliseconds().default(500),
  /** TCP/TLS connect timeout of the clients this library creates from URLs. Default 2000. */
  connectTimeout: positiveMilliseconds().default(2_000),
  /**
   * node-redis options merged into every client created from a URL or options object: TLS,
   * ACL `username`/`password`, `RESP`, ... The offline queue is always disabled.
   */
  clientOptions: z
    .custom<ClientOptions>((v) => typeof v === "object" && v !== null, {
      error: "must be a node-redis client options object",
    })
    .optional(),
  /**
   * How long a node that lost its data (a restart without persistence, FLUSHALL/FLUSHDB, a
   * replica that took over) does not count toward a quorum, so that every lock it may have
   * forgotten has expired first. Such a node is told by its marker, a small key the library
   * keeps on every node; a fresh deployment (every marker new) counts at once. 0 turns the
   * quarantine and the markers off. Default: the largest ttl any client asked of the nodes, as
   * the nodes record it, plus the drift margin.
   */
  restartQuarantine: milliseconds().optional(),
  /**
   * Also quarantine every node whose server has been up for less than the quarantine (read from
   * INFO on every connection), even in a fresh deployment: the first locks of a new deployment
   * then wait out the quarantine. Default false.
   */
  strictRestartQuarantine: z.boolean({ error: "must be true or false" }).default(false),
  /** Grant locks in arrival order (see the acquire option). Default false. */
  fair: z.boolean({ error: "must be true or false" }).default(false),
  /**
   * Hand out a fencing token with every lock (`lock.fencingToken`), at the cost of a second
   * round trip when the nodes' counters disagree. Fair locks too. Default false.
   */
  fencing: z.boolean({ error: "must be true or false" }).default(false),
  /**
   * Replicas each node must confirm a lock's keys on before its grant counts: after the acquire
   * or extend script, `WAIT minReplicas timeout` goes out on the same connection (pipelined: no
   * extra round trip), and a node whose replicas did not all acknowledge in time counts as
   * failed (its keys are rolled back like any failed attempt's). For Sentinel-managed or hosted
   * Redis, where a replica may take over from a master and would otherwise lose a lock key it
   * never received. WAIT's timeout is 3/4 of `commandTimeout`. A whole number >= 0; 0 sends no
   * WAIT. Not with Redis Cluster clients (WAIT names no key, so it cannot be routed to the
   * shard of the lock's keys). Default 0.
   */
  minReplicas: wholeNumber(0).default(0),
  /** Monotonic and wall clocks; replace only in tests. */
  clock: z
    .custom<Clock>(
      (v) =>
        typeof v === "object" &&
        v !== null &&
        typeof (v as Clock).monotonic === "function" &&
        typeof (v as Clock).wall === "function",
      { error: "must have monotonic() and wall() functions" },
    )
    .optional(),
});

/** Options of a {@link Redlock}: see {@link redlockOptionsSchema} for each field. */
export type RedlockOptions = z.input<typeof redlockOptionsSchema>;
/** {@link RedlockOptions} with defaults applied, as `redlock.options` shows them. */
export type ResolvedRedlockOptions = z.output<typeof redlockOptionsSchema>;

/** Per-call options of {@link Redlock.acquire}; unset retry fields fall back to the Redlock's. */
export const acquireOptionsSchema = z.strictObject({
  /** Cancels the wait at once; the call rejects with LockAbortedError. */
  signal: abortSignal.optional(),
  /** Give up after this long with LockTimeoutError; 0 makes a single attempt. Default: none. */
  timeout: milliseconds().optional(),
  retryCount: wholeNumber(-1).optional(),
  retryDelay: milliseconds().optional(),
  retryJitter: milliseconds().optional(),
  /**
   * First come, first served: waiters queue on the nodes and the lock goes to the longest
   * waiting one. One resource per fair lock. Default: the Redlock's `fair` (false).
   */
  fair: z.boolean({ error: "must be true or false" }).optional(),
  /** Hand out a fencing token with the lock (see the Redlock option). Default: the Redlock's `fencing`. */
  fencing: z.boolean({ error: "must be true or false" }).optional(),
  /**
   * Count the grants of nodes in their restart quarantine, for an efficiency lock: one whose
   * second holder would only repeat work (the LockManager's cache refresh lock is one), so that
   * it works right after nodes lost their data. Never for a lock that guards correctness.
   * Default false.
   */
  countQuarantined: z.boolean({ error: "must be true or false" }).optional(),
  /**
   * Replicas each node must confirm the lock's keys on, for this lock's acquisition and every
   * extension of it (see the Redlock option). Default: the Redlock's `minReplicas`.
   */
  minReplicas: wholeNumber(0).optional(),
});

/** Per-call options of `acquire()`: see {@link acquireOptionsSchema}. */
export type AcquireOptions = z.input<typeof acquireOptionsSchema>;

/** Options of {@link Redlock.using}: acquire options plus the extension threshold and caps. */
export const usingOptionsSchema = acquireOptionsSchema.extend({
  /** Extend when this much validity is left; below the ttl. Default: the Redlock's, else min(500, ttl / 3). */
  automaticExtensionThreshold: milliseconds().optional(),
  /**
   * Extend at most this many times. When the next extension falls due, the routine's signal
   * aborts with LockHoldLimitError instead and the lock expires `threshold` ms later unless the
   * routine ends first. 0 never extends. Default: no cap.
   */
  maxExtensions: wholeNumber(0).optional(),
  /**
   * Never keep the lock longer than this after it was acquired: an extension that would carry
   * it past is not made; the routine's signal aborts with LockHoldLimitError instead (up to one
   * ttl before maxHoldTime) and the lock expires unless the routine ends first. Default: no cap.
   */
  maxHoldTime: milliseconds().optional(),
});

/** Per-call options of `using()`: see {@link usingOptionsSchema}. */
export type UsingOptions = z.input<typeof usingOptionsSchema>;

/** Resources of one lock: one name or a non-empty list of distinct names. */
export const resourcesSchema = z.preprocess(
  (value) => (typeof value === "string" ? [value] : value),
  z
    .array(resourceName(), { error: "must be a resource name or a list of resource names" })
    .min(1, { error: "must list at least one resource" })
    .refine((list) => new Set(list).size === list.length, {
      error: "must not name the same resource twice",
    }),
);
