import { z } from "zod";
import { type CacheStore, isCacheStore } from "../cache/store.js";
import type { Serializer } from "../cache/serializer.js";
import type { NodeInput } from "../client/node-inputs.js";
import { type RedlockOptions, redlockOptionsSchema } from "../redlock/options.js";
import { readWriteLockOptionsSchema } from "../redlock/read-write/options.js";
import { semaphoreOptionsSchema } from "../redlock/semaphore/options.js";
import {
  abortSignal,
  milliseconds,
  positiveMilliseconds,
  ttlMilliseconds,
  wholeNumber,
} from "../options/fields.js";

const nodeInput = z.custom<NodeInput>(
  (v) => typeof v === "string" || (typeof v === "object" && v !== null),
  { error: "must be a Redis URL, node-redis client options, a client or an adapter" },
);

const cacheOption = z.union(
  [
    z.literal("memory"),
    z.custom<CacheStore>(isCacheStore),
    z.custom<NodeInput>((v) => typeof v === "string" || (typeof v === "object" && v !== null)),
  ],
  { error: '"memory", a CacheStore, or a Redis URL, options or client' },
);

const serializer = z.custom<Serializer>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as Serializer).serialize === "function" &&
    typeof (v as Serializer).deserialize === "function",
  { error: "must have serialize() and deserialize() functions" },
);

/** How long a cached value is fresh when a call gives no ttl. */
export const DEFAULT_CACHE_TTL = 60_000;

// The fields a manager hands to its Redlock as they are: the same checks and defaults.
const redlockFields = redlockOptionsSchema.shape;

const degradeTo = z.enum(["fetch", "stale"], { error: 'must be "fetch" or "stale"' });
const prefix = z.string({ error: "must be a string" });

/** Options of a {@link LockManager}. All durations are milliseconds. */
export const lockManagerOptionsSchema = z
  .strictObject({
    /** The Redlock nodes: URLs, node-redis options, clients or adapters. A quorum of them must agree. */
    redisNodes: z
      .array(nodeInput, { error: "must be a non-empty list of Redis nodes" })
      .min(1, { error: "must be a non-empty list of Redis nodes" }),
    /** Lock time to live when a call gives none. Default 30 000. */
    defaultTtl: ttlMilliseconds().default(30_000),
    /** How long a call waits for a lock or a value when it gives no timeout. Default 5 000. */
    defaultTimeout: milliseconds().default(5_000),
    /** Wait between acquisition attempts, before jitter. Default 100. */
    retryDelay: milliseconds().default(100),
    /** Random extra wait in [0, retryJitter) added to each retry delay. Default 100. */
    retryJitter: milliseconds().default(100),
    /** Retries after the first attempt; -1 retries until the timeout. Default -1. */
    maxRetries: wholeNumber(-1).default(-1),
    /** Share of the ttl kept as a margin for clock drift (Redlock's driftFactor), in [0, 0.5). Default 0.01. */
    clockDriftFactor: redlockFields.driftFactor,
    /** Longest wait for one node's reply. Default 500. */
    commandTimeout: redlockFields.commandTimeout,
    /** TCP/TLS connect timeout of the clients the manager creates. Default 2 000. */
    connectTimeout: redlockFields.connectTimeout,
    /** node-redis options merged into every client the manager creates (TLS, ACL user, ...). */
    clientOptions: redlockFields.clientOptions,
    /** How long a node that lost its data does not count toward a quorum (Redlock's option); 0 is off. Default: the largest ttl the nodes record. */
    restartQuarantine: redlockFields.restartQuarantine,
    /** Also keep out nodes whose server is younger than the quarantine (Redlock's option). Default false. */
    strictRestartQuarantine: redlockFields.strictRestartQuarantine,
    /** Hand out a fencing token with every lock (`handle.fencingToken`). Default false. */
    fencing: redlockFields.fencing,
    /** Replicas each node must confirm a lock on (WAIT) before its grant counts (Redlock's option). Default 0. */
    minReplicas: redlockFields.minReplicas,
    /** Prefix of lock keys: getLock("a") locks `lock:a`. Default "lock:". */
    lockPrefix: prefix.default("lock:"),
    /** Prefix of the refresh lock of each cache key. Default "lock:stampede:". */
    stampedePrefix: prefix.default("lock:stampede:"),
    /** Prefix of lock-info keys (who holds a lock since when). Default "lock-info:". */
    infoPrefix: prefix.default("lock-info:"),
    /** Prefix of cache keys. Default "cache:". */
    cachePrefix: prefix.default("cache:"),
    /** Record when and for how long each lock was taken, for getLockInfo(). Default true. */
    recordLockInfo: z.boolean({ error: "must be true or false" }).default(true),
    /**
     * Where cached values live: a Redis URL, node-redis options or client (shared by every
     * process), "memory" (this process only), or any CacheStore. Default: a Redis store on the
     * first of `redisNodes`.
     */
    cache: cacheOption.optional(),
    /** Bound of the "memory" cache, in entries (least recently used go first). Default 10 000. */
    cacheMaxEntries: wholeNumber(1).optional(),
    /** How cached values become strings and back. Default JSON. */
    serializer: serializer.optional(),
    /** After a failed refresh, how long stale values are served without calling the source again. Default 5 000. */
    staleIfErrorTtl: ttlMilliseconds().default(5_000),
    /** When the lock nodes are unreachable: "fetch" without the lock, or serve "stale". Default "fetch". */
    degradeTo: degradeTo.default("fetch"),
    /** Longest a waiter for a value sleeps without a notification before it looks again. Default 1 000. */
    fallbackInterval: positiveMilliseconds().default(1_000),
  })
  .superRefine((o, ctx) => {
    if (o.defaultTimeout > 0 && o.retryDelay >= o.defaultTimeout) {
      ctx.addIssue({
        code: "custom",
        path: ["retryDelay"],
        message: `must be below defaultTimeout (${o.defaultTimeout} ms), or no retry could happen in time`,
      });
    }
    if (o.cacheMaxEntries !== undefined && o.cache !== "memory") {
      ctx.addIssue({
        code: "custom",
        path: ["cacheMaxEntries"],
        message: 'only applies with cache: "memory"',
      });
    }
  });

/**
 * The options of a manager's Redlock: the one place where the seed API's names become the
 * Redlock's (`maxRetries` is `retryCount`, `clockDriftFactor` is `driftFactor`).
 */
export function redlockOptionsOf(o: ResolvedManagerOptions): RedlockOptions {
  return {
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
  };
}

/** Options of a {@link LockManager}: see {@link lockManagerOptionsSchema} for each field. */
export type LockManagerOptions = z.input<typeof lockManagerOptionsSchema>;
/** {@link LockManagerOptions} with defaults applied, as `manager.options` shows them. */
export type ResolvedManagerOptions = z.output<typeof lockManagerOptionsSchema>;

const lockFields = {
  /** Lock time to live. Default: the manager's defaultTtl. */
  ttl: ttlMilliseconds().optional(),
  /** Give up after this long; 0 makes a single attempt. Default: the manager's defaultTimeout. */
  timeout: milliseconds().optional(),
  /** Wait between attempts. Default: the manager's retryDelay. */
  retryDelay: milliseconds().optional(),
  /** Retries after the first attempt; -1 until the timeout. Default: the manager's maxRetries. */
  maxRetries: wholeNumber(-1).optional(),
  /** Cancels the wait; the call rejects with LockAbortedError. */
  signal: abortSignal.optional(),
  /** Extend the lock before it expires while it is held; `handle.signal` aborts if it is lost. */
  autoExtend: z.boolean({ error: "must be true or false" }).optional(),
  /**
   * With autoExtend: extend at most this many times; when the next extension falls due,
   * `handle.signal` aborts with LockHoldLimitError instead and the lock expires a third of the
   * ttl later unless released first. Default: no cap.
   */
  maxExtensions: wholeNumber(0).optional(),
  /**
   * With autoExtend: never keep the lock longer than this after it was acquired; `handle.signal`
   * aborts with LockHoldLimitError instead of an extension that would carry it past (up to one
   * ttl before maxHoldTime), and the lock expires unless released first. Default: no cap.
   */
  maxHoldTime: milliseconds().optional(),
  /** Hand out a fencing token with the lock (`handle.fencingToken`). Default: the manager's `fencing`. */
  fencing: z.boolean({ error: "must be true or false" }).optional(),
};

/** The caps bound the watchdog: without autoExtend there is none, and a cap would silently do nothing. */
function capsNeedAutoExtend(
  o: {
    autoExtend?: boolean | undefined;
    maxExtensions?: number | undefined;
    maxHoldTime?: number | undefined;
  },
  ctx: z.RefinementCtx,
) {
  if (o.autoExtend === true) return;
  for (const field of ["maxExtensions", "maxHoldTime"] as const) {
    if (o[field] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: "only applies with autoExtend: true",
      });
    }
  }
}

/** Options of {@link LockManager.withLock} and of the distributedLock decorator. */
// retryDelay against the timeout is checked once the manager's defaults are applied.
export const withLockOptionsSchema = z
  .strictObject({
    ...lockFields,
    /** Re-entering a name this async context holds runs inside the outer hold instead of throwing DeadlockError. */
    reentrant: z.boolean({ error: "must be true or false" }).optional(),
  })
  .superRefine(capsNeedAutoExtend);

/** Options of {@link LockManager.getLock}. */
export const getLockOptionsSchema = z
  .strictObject({
    ...lockFields,
    reentrant: z.boolean({ error: "must be true or false" }).optional(),
    /** When the lock is not had: return a handle without it, holding the cached value of the name. */
    returnStale: z.boolean({ error: "must be true or false" }).optional(),
    /** With returnStale: the oldest cached value (ms since it was written) to hand back. Default: any. */
    staleTtl: positiveMilliseconds().optional(),
  })
  .superRefine((o, ctx) => {
    capsNeedAutoExtend(o, ctx);
    if (o.staleTtl !== undefined && o.returnStale !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["staleTtl"],
        message: "only applies with returnStale: true",
      });
    }
  });

/**
 * The fields of the scoped calls for the other primitives (withPermit, withReadLock,
 * withWriteLock): the lock's, without autoExtend (they are always extended while the routine
 * runs) and without the per-call fencing (a semaphore's and a read-write lock's fencing is the
 * primitive's option).
 */
const scopedFields = {
  ttl: lockFields.ttl,
  timeout: lockFields.timeout,
  retryDelay: lockFields.retryDelay,
  maxRetries: lockFields.maxRetries,
  signal: lockFields.signal,
  /** Extend at most this many times; then `handle.signal` aborts with LockHoldLimitError. Default: no cap. */
  maxExtensions: lockFields.maxExtensions,
  /** Never keep the hold longer than this after it was acquired (LockHoldLimitError). Default: no cap. */
  maxHoldTime: lockFields.maxHoldTime,
};

/** Options of {@link LockManager.withPermit} and of the withPermit decorator. */
export const withPermitOptionsSchema = z
  .strictObject({
    ...scopedFields,
    /**
     * The semaphore's limit: how many permits may be valid at once over every process (1 to
     * 1024). Every process must pass the same limit for one name (SemaphoreLimitError otherwise).
     */
    limit: semaphoreOptionsSchema.shape.limit,
    /** How many permits to take, all or none (1 to the limit). Default 1. */
    permits: wholeNumber(1).optional(),
    /** Serve waiters in arrival order. Default false. */
    fair: z.boolean({ error: "must be true or false" }).optional(),
    /** Hand out a fencing token with each permit (`handle.fencingToken`). Default: the manager's `fencing`. */
    fencing: z.boolean({ error: "must be true or false" }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.permits !== undefined && o.permits > o.limit) {
      ctx.addIssue({
        code: "custom",
        path: ["permits"],
        message: `must be at most the limit (${o.limit})`,
      });
    }
  });

/** Options of {@link LockManager.getSemaphore}: those of {@link Redlock.semaphore}. */
export const getSemaphoreOptionsSchema = semaphoreOptionsSchema;

/** Options of withReadLock / withWriteLock and of the readLock / writeLock decorators. */
export const withReadWriteLockOptionsSchema = z.strictObject({
  ...scopedFields,
  /**
   * withWriteLock only: re-entering a write lock this async context holds runs inside the outer
   * hold instead of throwing DeadlockError. (A read lock nested in a read or write lock of the
   * same name always runs inside the outer hold.)
   */
  reentrant: z.boolean({ error: "must be true or false" }).optional(),
  /** The read-write lock's options (see Redlock.readWriteLock): writers' fencing tokens. Default: the manager's `fencing`. */
  fencing: z.boolean({ error: "must be true or false" }).optional(),
  /** How long a waiting writer's intent keeps new readers out after its last attempt. Default 2 000. */
  intentTtl: readWriteLockOptionsSchema.shape.intentTtl,
});

/** Options of {@link LockManager.tryLock}. */
export const tryLockOptionsSchema = z.strictObject(lockFields).superRefine(capsNeedAutoExtend);

const cacheFields = {
  /** How long a fetched value is fresh. Default 60 000. */
  ttl: ttlMilliseconds().optional(),
  /** How long after its write a value may still be served stale; at least ttl. Default 5 × ttl. */
  staleTtl: ttlMilliseconds().optional(),
};

/** A value is stale only after it stops being fresh: staleTtl below ttl is a contradiction. */
function staleNotBelowFresh(
  o: { ttl?: number | undefined; staleTtl?: number | undefined },
  ctx: z.RefinementCtx,
) {
  const ttl = o.ttl ?? DEFAULT_CACHE_TTL;
  if (o.staleTtl !== undefined && o.staleTtl < ttl) {
    ctx.addIssue({
      code: "custom",
      path: ["staleTtl"],
      message: `must be at least the ttl (${ttl} ms): a value is stale only after it stops being fresh`,
    });
  }
}

/** Options of LockManager.setCached(). */
export const cacheWriteOptionsSchema = z.strictObject(cacheFields).superRefine(staleNotBelowFresh);

/** Options of protectCacheStampede, refreshWithLock and the cacheStampedeProtect decorator. */
export const cacheOptionsSchema = z
  .strictObject({
    ...cacheFields,
    /** Longest wait for a value being fetched elsewhere. Default: the manager's defaultTimeout. */
    timeout: milliseconds().optional(),
    /** Serve a stale value at once while one caller refreshes it, and when the refresh fails. Default false. */
    returnStale: z.boolean({ error: "must be true or false" }).optional(),
    /** After a failed refresh, serve stale without calling the source for this long. Default: the manager's. */
    staleIfErrorTtl: ttlMilliseconds().optional(),
    /** Probabilistic early refresh (XFetch): 0 is off; 1 is the usual choice, more refreshes earlier. Default 0. */
    beta: z
      .number({ error: "must be a number, 0 or more" })
      .min(0, { error: "must be 0 or more" })
      .max(100, { error: "must be at most 100" })
      .optional(),
    /** Time to live of the refresh lock; it is extended while the fetcher runs. Default: the manager's defaultTtl. */
    lockTtl: ttlMilliseconds().optional(),
    /** When the lock nodes are unreachable. Default: the manager's degradeTo. */
    degradeTo: degradeTo.optional(),
    /** Detaches this caller (LockAbortedError); the shared fetch goes on for the others. */
    signal: abortSignal.optional(),
  })
  .superRefine(staleNotBelowFresh);

/** Options of `withLock()`: see {@link withLockOptionsSchema}. */
export type WithLockOptions = z.input<typeof withLockOptionsSchema>;
/** Options of `getLock()`: see {@link getLockOptionsSchema}. */
export type GetLockOptions = z.input<typeof getLockOptionsSchema>;
/** Options of `tryLock()`: see {@link tryLockOptionsSchema}. */
export type TryLockOptions = z.input<typeof tryLockOptionsSchema>;
/** Options of `protectCacheStampede()`: see {@link cacheOptionsSchema}. */
export type CacheOptions = z.input<typeof cacheOptionsSchema>;
/** Options of `setCached()`: see {@link cacheWriteOptionsSchema}. */
export type CacheWriteOptions = z.input<typeof cacheWriteOptionsSchema>;
/** Options of `withPermit()`: see {@link withPermitOptionsSchema}. */
export type WithPermitOptions = z.input<typeof withPermitOptionsSchema>;
/** Options of `getSemaphore()`: see {@link getSemaphoreOptionsSchema}. */
export type GetSemaphoreOptions = z.input<typeof getSemaphoreOptionsSchema>;
/** Options of `withReadLock()` / `withWriteLock()`: see {@link withReadWriteLockOptionsSchema}. */
export type WithReadWriteLockOptions = z.input<typeof withReadWriteLockOptionsSchema>;
