import { EventEmitter } from "node:events";
import type { RedisAdapter } from "../client/adapter.js";
import { createNodes, type NodeInput } from "../client/nodes.js";
import { RedisNode } from "../client/redis-node.js";
import { LockConfigError, type LockError } from "../errors/index.js";
import { ttlMilliseconds } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { type AcquirePlan, acquireLock } from "./acquire.js";
import { systemClock } from "./clock.js";
import type { QuorumContext } from "./context.js";
import type { Lock } from "./lock.js";
import {
  type AcquireOptions,
  acquireOptionsSchema,
  type RedlockOptions,
  type ResolvedRedlockOptions,
  redlockOptionsSchema,
  resourcesSchema,
  type UsingOptions,
  usingOptionsSchema,
} from "./options.js";
import { quorumOf } from "./validity.js";
import { Watchdog } from "./watchdog.js";

/** Events of a {@link Redlock}. Payloads never contain credentials. */
export interface RedlockEvents {
  /** A client this Redlock created reported an error (connection refused, reset, ...). */
  nodeError: [node: string, error: Error];
  /** A lock under `using()` could not be extended in time; its signal was aborted with `reason`. */
  lost: [lock: Lock, reason: LockError];
  /** Releasing at the end of `using()` or of an `await using` scope failed. */
  releaseError: [lock: Lock, error: LockError];
}

const ttlSchema = ttlMilliseconds();
const NO_OPTIONS: Partial<Record<keyof AcquireOptions, undefined>> = {};

/**
 * Distributed locks by quorum over N independent Redis nodes (the Redlock algorithm). One node
 * is a valid configuration: a simple mutex.
 *
 * @example
 * const redlock = new Redlock(["redis://127.0.0.1:7001", "redis://127.0.0.1:7002", "redis://127.0.0.1:7003"]);
 * await using lock = await redlock.acquire(["orders:42"], 10_000);
 */
export class Redlock extends EventEmitter<RedlockEvents> {
  /** The number of nodes that must agree: floor(N/2)+1. */
  readonly quorum: number;
  /** The options in force, defaults applied. */
  readonly options: Readonly<ResolvedRedlockOptions>;
  readonly #nodes: readonly RedisNode[];
  readonly #ctx: QuorumContext;
  #closed = false;

  /**
   * @param nodes Redis URLs (`redis://` or `rediss://`, credentials allowed), node-redis client
   *   options, node-redis clients you created (they are neither configured nor closed by us), or
   *   {@link RedisAdapter}s.
   * @throws LockConfigError when a node or an option is invalid; nothing is connected then.
   */
  constructor(nodes: readonly NodeInput[], options: RedlockOptions = {}) {
    super();
    const resolved = parseOrThrow(redlockOptionsSchema, options, "options");
    const adapters = createNodes(nodes, {
      connectTimeout: resolved.connectTimeout,
      clientOptions: resolved.clientOptions,
      onError: (label, error) => {
        if (this.listenerCount("nodeError") > 0) this.emit("nodeError", label, error);
      },
    });
    this.options = resolved;
    this.#nodes = adapters.map((a) => new RedisNode(a, resolved.commandTimeout));
    this.quorum = quorumOf(adapters.length);
    this.#ctx = {
      nodes: this.#nodes,
      quorum: this.quorum,
      driftFactor: resolved.driftFactor,
      commandTimeout: resolved.commandTimeout,
      clock: resolved.clock ?? systemClock,
      onDisposeError: (lock, error) => {
        this.emit("releaseError", lock, error);
      },
    };
  }

  /** The nodes' labels (host:port), in the order given. */
  get nodes(): readonly string[] {
    return this.#nodes.map((n) => n.label);
  }

  /**
   * @internal The nodes themselves, in the order given, for the manager layer: lock info and
   * health checks send plain commands to each node, statistics read their error counts.
   */
  get internalNodes(): readonly RedisNode[] {
    return this.#nodes;
  }

  /**
   * Acquires a lock on every resource at once, for `ttl` ms, on a quorum of nodes.
   * @throws LockConfigError for invalid arguments (nothing is sent), LockTimeoutError when
   *   `timeout` ran out, LockAcquisitionError when the retries ran out, LockAbortedError when
   *   `signal` aborted.
   */
  acquire(
    resources: string | readonly string[],
    ttl: number,
    options?: AcquireOptions,
  ): Promise<Lock> {
    let plan: AcquirePlan;
    try {
      plan = this.#plan(resources, ttl, options, acquireOptionsSchema);
    } catch (error) {
      return Promise.reject(error);
    }
    return acquireLock(this.#ctx, plan);
  }

  /**
   * Runs `routine` under the lock, extending it automatically while it runs. The routine's
   * signal aborts (with the LockError that says why) the moment an extension fails or validity
   * runs out. The lock is released afterwards; a release failure is reported through the
   * `releaseError` event and never replaces the routine's result or error.
   */
  using<T>(
    resources: string | readonly string[],
    ttl: number,
    routine: (signal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  using<T>(
    resources: string | readonly string[],
    ttl: number,
    options: UsingOptions,
    routine: (signal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  async using<T>(
    resources: string | readonly string[],
    ttl: number,
    optionsOrRoutine: UsingOptions | ((signal: AbortSignal) => Promise<T>),
    maybeRoutine?: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const routine = typeof optionsOrRoutine === "function" ? optionsOrRoutine : maybeRoutine;
    const options = typeof optionsOrRoutine === "function" ? undefined : optionsOrRoutine;
    if (typeof routine !== "function") {
      throw new LockConfigError([{ field: "routine", message: "must be a function" }]);
    }
    const plan = this.#plan(resources, ttl, options, usingOptionsSchema);
    const threshold =
      options?.automaticExtensionThreshold ?? this.options.automaticExtensionThreshold;
    if (threshold >= plan.ttl) {
      throw new LockConfigError([
        {
          field: "automaticExtensionThreshold",
          message: `must be below the ttl (${plan.ttl} ms), or the lock would be extended continuously`,
        },
      ]);
    }
    const lock = await acquireLock(this.#ctx, plan);
    const watchdog = new Watchdog(lock, plan.ttl, threshold, (reason) => {
      this.emit("lost", lock, reason);
    });
    try {
      return await routine(watchdog.signal);
    } finally {
      watchdog.stop();
      if (!watchdog.signal.aborted) {
        await lock.release().catch((error: unknown) => {
          this.emit("releaseError", lock, error as LockError);
        });
      } else {
        lock.release().catch(() => undefined);
      }
    }
  }

  /** Closes the clients this Redlock created; clients you passed in stay open. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#nodes.map((n) => n.close()));
  }

  #plan(
    resources: string | readonly string[],
    ttl: number,
    options: AcquireOptions | undefined,
    schema: typeof acquireOptionsSchema,
  ): AcquirePlan {
    // The common shapes (one name, a positive whole ttl) are checked by hand on this hot path;
    // anything else goes through the schemas, which also word the errors.
    const list =
      typeof resources === "string" && resources !== ""
        ? [resources]
        : parseOrThrow(resourcesSchema, resources, "resources");
    const validTtl =
      Number.isSafeInteger(ttl) && ttl > 0 ? ttl : parseOrThrow(ttlSchema, ttl, "ttl");
    const opts = options === undefined ? NO_OPTIONS : parseOrThrow(schema, options, "options");
    const fair = opts.fair ?? this.options.fair;
    if (fair && list.length > 1) {
      throw new LockConfigError([
        { field: "options.fair", message: "a fair lock takes exactly one resource" },
      ]);
    }
    return {
      resources: list,
      ttl: validTtl,
      fair,
      retryCount: opts.retryCount ?? this.options.retryCount,
      retryDelay: opts.retryDelay ?? this.options.retryDelay,
      retryJitter: opts.retryJitter ?? this.options.retryJitter,
      timeout: opts.timeout,
      signal: opts.signal,
    };
  }
}

export type { RedisAdapter };
