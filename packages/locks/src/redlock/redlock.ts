import { EventEmitter } from "node:events";
import type { RedisAdapter } from "../client/adapter.js";
import { createNodes, type NodeInput } from "../client/node-inputs.js";
import { type NodeStatusListener, RedisNode, type RestartWatch } from "../client/redis-node.js";
import { LockConfigError, type LockError, LockHoldLimitError } from "../errors/index.js";
import { isWellFormedName, resourceName, ttlMilliseconds } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { type AcquirePlan, acquireLock } from "./acquire.js";
import { type AdoptContext, adoptHandle } from "./adopt.js";
import { AttemptGate } from "./gate.js";
import { HeldRegistry } from "./held.js";
import { MARKER_KEY, RestartQuarantine } from "./quarantine.js";
import { type Clock, systemClock } from "./clock.js";
import {
  type AcquiredEvent,
  type AcquireFailedEvent,
  type ExtendedEvent,
  type ExtendFailedEvent,
  Lifecycle,
  type LostEvent,
  type NodeDownEvent,
  type NodeRestartedEvent,
  type NodeUpEvent,
  type ReleasedEvent,
  type ReleaseFailedEvent,
} from "./events.js";
import type { QuorumContext } from "./context.js";
import type { Lock, LockContext } from "./lock.js";
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
import {
  createReadWriteLock,
  DEFAULT_INTENT_TTL,
  type ReadWriteLock,
  type RwHost,
} from "./read-write/read-write-lock.js";
import { type ReadWriteLockOptions, readWriteLockOptionsSchema } from "./read-write/options.js";
import { createSemaphore, type Semaphore } from "./semaphore/semaphore.js";
import { adoptPermit, type Permit } from "./semaphore/permit.js";
import type { SemaphoreOptions } from "./semaphore/options.js";
import { assertOneSlot, scriptKeys } from "./slots.js";
import { RenewalScheduler } from "./renewal.js";
import { quorumOf } from "./validity.js";
import { defaultExtensionThreshold, Watchdog } from "./watchdog.js";

/**
 * Events of a {@link Redlock}. The lifecycle events (all but `nodeError` and `releaseError`) take
 * one payload object and are also published on the `node:diagnostics_channel` channels named in
 * {@link diagnosticsChannels}. Payloads never contain credentials nor whole tokens.
 */
export interface RedlockEvents {
  /** A lock was acquired on a quorum. */
  acquired: [event: AcquiredEvent];
  /** An acquisition that reached the nodes ended without the lock. */
  acquireFailed: [event: AcquireFailedEvent];
  /** A lock was extended (by `extend()` or a watchdog). */
  extended: [event: ExtendedEvent];
  /** An extension failed. */
  extendFailed: [event: ExtendFailedEvent];
  /** A lock was released. */
  released: [event: ReleasedEvent];
  /** A release failed (also when the lock had expired or was lost before). */
  releaseFailed: [event: ReleaseFailedEvent];
  /** A held lock turned out to be lost; under `using()` its signal was aborted with `error`. */
  lost: [event: LostEvent];
  /** A node stopped answering (emitted once per outage). */
  nodeDown: [event: NodeDownEvent];
  /** A node that was down answered again. */
  nodeUp: [event: NodeUpEvent];
  /** A client this Redlock created reported an error (connection refused, reset, ...). */
  nodeError: [node: string, error: Error];
  /**
   * A release nobody awaited failed: at the end of `using()` or of an `await using` scope
   * (`releaseFailed` reports it too).
   */
  releaseError: [lock: Lock, error: LockError];
  /**
   * A new server process behind a node: a reconnection found another run_id, or the node's
   * marker was written by another process (a replica took over, or a restart reloaded a
   * snapshot). Its grants do not count until the restart quarantine has passed.
   */
  nodeRestarted: [event: NodeRestartedEvent];
}

/** A node as {@link Redlock.nodeStates} sees it. */
export interface NodeState {
  /** host:port. */
  readonly node: string;
  /** The server's run_id, once read (on the first command after each connection). */
  readonly runId: string | undefined;
  /** ms the server has surely been up (judged late, whole seconds); undefined while unknown. */
  readonly upFor: number | undefined;
  /** ms until the node's grants count toward a quorum again; 0 when they count. */
  readonly quarantinedFor: number;
}

const ttlSchema = ttlMilliseconds();
/** Acquisition attempts of one Redlock in flight at once, at most (see AttemptGate). */
const MAX_ATTEMPTS_IN_FLIGHT = 512;
const nameSchema = resourceName();
const CLUSTER_WAIT =
  "is not available over a Redis Cluster client: WAIT names no key, so it cannot be routed to the shard of the lock's keys";
const ignoreLoss = (): void => undefined;
const NO_OPTIONS: Partial<Record<keyof AcquireOptions, undefined>> = {};

// Set by Redlock's static block: the nodes stay out of the public surface, yet the manager
// layer reaches them.
let nodesOfRedlock: (redlock: Redlock) => readonly RedisNode[];
let contextOfRedlock: (redlock: Redlock) => LockContext;

/**
 * The nodes of `redlock` themselves, in the order given, for the manager layer: lock info and
 * health checks send plain commands to each node, statistics read their error counts.
 */
export function nodesOf(redlock: Redlock): readonly RedisNode[] {
  return nodesOfRedlock(redlock);
}

/**
 * What `redlock` shares with its locks, for the modules that rebuild a lock or a permit from its
 * wire form (adoptPermit).
 */
export function contextOf(redlock: Redlock): LockContext {
  return contextOfRedlock(redlock);
}

/**
 * Distributed locks by quorum over N independent Redis nodes (the Redlock algorithm). One node
 * is a valid configuration: a simple mutex.
 *
 * @example
 * const redlock = new Redlock(["redis://127.0.0.1:7001", "redis://127.0.0.1:7002", "redis://127.0.0.1:7003"]);
 * await using lock = await redlock.acquire(["orders:42"], 10_000);
 */
export class Redlock extends EventEmitter<RedlockEvents> {
  static {
    nodesOfRedlock = (redlock) => redlock.#nodes;
    contextOfRedlock = (redlock) => redlock.#ctx;
  }
  /** The number of nodes that must agree: floor(N/2)+1. */
  readonly quorum: number;
  /** The options in force, defaults applied. */
  readonly options: Readonly<ResolvedRedlockOptions>;
  readonly #nodes: readonly RedisNode[];
  readonly #ctx: AdoptContext;
  /** Some node is a Redis Cluster: every lock's keys must share one hash slot. */
  readonly #clustered: boolean;
  #closed = false;
  /** What this Redlock's read-write locks take from it (made on first use). */
  #rwHost: RwHost | undefined;

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
        for (const node of this.#nodes) if (node.label === label) node.markDown("error", error);
        if (this.listenerCount("nodeError") > 0) this.emit("nodeError", label, error);
      },
    });
    if (resolved.minReplicas > 0 && adapters.some((a) => a.cluster === true)) {
      // The clients created from URLs are closed again: nothing stays connected.
      for (const adapter of adapters) adapter.close().catch(() => undefined);
      throw new LockConfigError([{ field: "options.minReplicas", message: CLUSTER_WAIT }]);
    }
    this.options = resolved;
    const events = new Lifecycle(this);
    const onStatus: NodeStatusListener = (node, change) => {
      if (change.up) {
        if (events.observed("nodeUp")) {
          events.publish("nodeUp", { node: node.label, downFor: change.downFor });
        }
      } else if (events.observed("nodeDown")) {
        events.publish("nodeDown", {
          node: node.label,
          reason: change.reason,
          error: change.error,
        });
      }
    };
    const clock = resolved.clock ?? systemClock;
    const quarantine = new RestartQuarantine(
      resolved.restartQuarantine,
      resolved.strictRestartQuarantine,
      resolved.driftFactor,
    );
    const watch = quarantine.on ? this.#restartWatch(clock, events, quarantine) : undefined;
    this.#nodes = adapters.map((a) => new RedisNode(a, resolved.commandTimeout, onStatus, watch));
    this.quorum = quorumOf(adapters.length);
    this.#clustered = adapters.some((a) => a.cluster === true);
    const quorumContext: QuorumContext = {
      clustered: this.#clustered,
      nodes: this.#nodes,
      quorum: this.quorum,
      driftFactor: resolved.driftFactor,
      commandTimeout: resolved.commandTimeout,
      clock,
      events,
      restartQuarantine: quarantine,
      attempts: new AttemptGate(MAX_ATTEMPTS_IN_FLIGHT),
    };
    this.#ctx = {
      ...quorumContext,
      renewals: new RenewalScheduler(quorumContext),
      onDisposeError: (lock, error) => {
        this.emit("releaseError", lock, error);
      },
      held: new HeldRegistry(),
      minReplicas: resolved.minReplicas,
    };
  }

  /** The nodes' labels (host:port), in the order given. */
  get nodes(): readonly string[] {
    return this.#nodes.map((n) => n.label);
  }

  /**
   * Each node's server run_id, uptime and remaining restart quarantine, as last read; a node
   * reads them with the first command it sends on each new connection.
   */
  nodeStates(): NodeState[] {
    const now = this.#ctx.clock.monotonic();
    return this.#nodes.map((n) => ({
      node: n.label,
      runId: n.runId,
      upFor: n.upSince === -Infinity ? undefined : Math.max(0, Math.floor(now - n.upSince)),
      quarantinedFor: this.#ctx.restartQuarantine.left(n, now),
    }));
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
   * runs out (the `lost` event reports it too); its second argument is the lock (for its
   * `fencingToken`). The lock is released afterwards; a release failure is reported through the
   * `releaseError` event and never replaces the routine's result or error.
   */
  using<T>(
    resources: string | readonly string[],
    ttl: number,
    routine: (signal: AbortSignal, lock: Lock) => Promise<T>,
  ): Promise<T>;
  using<T>(
    resources: string | readonly string[],
    ttl: number,
    options: UsingOptions,
    routine: (signal: AbortSignal, lock: Lock) => Promise<T>,
  ): Promise<T>;
  async using<T>(
    resources: string | readonly string[],
    ttl: number,
    optionsOrRoutine: UsingOptions | ((signal: AbortSignal, lock: Lock) => Promise<T>),
    maybeRoutine?: (signal: AbortSignal, lock: Lock) => Promise<T>,
  ): Promise<T> {
    const routine = typeof optionsOrRoutine === "function" ? optionsOrRoutine : maybeRoutine;
    const options = typeof optionsOrRoutine === "function" ? undefined : optionsOrRoutine;
    if (typeof routine !== "function") {
      throw new LockConfigError([{ field: "routine", message: "must be a function" }]);
    }
    const plan = this.#plan(resources, ttl, options, usingOptionsSchema);
    return this.#hold(plan, options, routine);
  }

  /**
   * A distributed read-write lock named `name`: any number of readers at once, or one writer;
   * a waiting writer keeps new readers out. See {@link ReadWriteLock}. Nothing is sent until a
   * lease is asked for; any number of these may exist for one name.
   * @throws LockConfigError for an invalid name or option.
   * @example
   * const rw = redlock.readWriteLock("doc:42");
   * await rw.usingRead(10_000, async (signal) => readTheDocument(signal));
   */
  readWriteLock(name: string, options: ReadWriteLockOptions = {}): ReadWriteLock {
    const validName = parseOrThrow(nameSchema, name, "name");
    const opts = parseOrThrow(readWriteLockOptionsSchema, options, "options");
    this.#rwHost ??= {
      ctx: this.#ctx,
      plan: (resource, ttl, opts) => this.#plan(resource, ttl, opts, usingOptionsSchema),
      hold: (plan, opts, routine) => this.#hold(plan, opts, routine),
    };
    return createReadWriteLock(
      this.#rwHost,
      validName,
      opts.fencing ?? this.options.fencing,
      opts.intentTtl ?? DEFAULT_INTENT_TTL,
    );
  }

  /** The body of `using()` once the plan is made: acquire, watchdog, routine, release. */
  async #hold<T>(
    plan: AcquirePlan,
    options: UsingOptions | undefined,
    routine: (signal: AbortSignal, lock: Lock) => Promise<T>,
  ): Promise<T> {
    // An explicit threshold is the caller's: refused if it cannot work. The default fits the ttl.
    const explicit =
      options?.automaticExtensionThreshold ?? this.options.automaticExtensionThreshold;
    const threshold = explicit ?? defaultExtensionThreshold(plan.ttl);
    if (threshold >= plan.ttl) {
      throw new LockConfigError([
        {
          field: "automaticExtensionThreshold",
          message: `must be below the ttl (${plan.ttl} ms), or the lock would be extended continuously`,
        },
      ]);
    }
    const lock = await acquireLock(this.#ctx, plan);
    // The lock itself reports its loss (the `lost` event).
    const watchdog = new Watchdog(lock, plan.ttl, threshold, ignoreLoss, undefined, {
      maxExtensions: options?.maxExtensions,
      maxHoldTime: options?.maxHoldTime,
    });
    try {
      return await routine(watchdog.signal, lock);
    } finally {
      watchdog.stop();
      // A lock whose watchdog reached a cap was not lost: it is released like any other.
      if (!watchdog.signal.aborted || watchdog.signal.reason instanceof LockHoldLimitError) {
        await lock.release().catch((error: unknown) => {
          this.emit("releaseError", lock, error as LockError);
        });
      } else {
        lock.release().catch(() => undefined);
      }
    }
  }

  /**
   * A distributed counting semaphore named `name`: at most `options.limit` permits valid at
   * once, over every process using this name and these nodes. Sends nothing until used.
   * @throws LockConfigError for a bad name or options.
   * @example
   * const sem = redlock.semaphore("pool:db", { limit: 5 });
   * await sem.using(10_000, { permits: 2 }, async (signal, permit) => {});
   */
  semaphore(name: string, options: SemaphoreOptions): Semaphore {
    // Its keys are all derived from the name, in one hash slot: fine on a Redis Cluster too.
    return createSemaphore(this.#ctx, this.options, name, options);
  }

  /**
   * Takes back a lock, a semaphore's permit or a read-write lock's lease that
   * `JSON.stringify(hold)` described in another process (the wire's `kind` says which; for a
   * typed result, `semaphore.adopt()` and `readWriteLock.adopt()` take their own): it extends
   * (heals), releases and reports like the original, and quit() releases it. Both copies are
   * one lock (one token): either may release it. Its validity is the wire's `expiration`, on
   * this process's monotonic clock; a wire already expired gives a lock that is not held. Its
   * release asks every node. The wire's token is a capability: see the README's "Handing a
   * lock to another process".
   * @throws LockConfigError for a wire that toJSON() did not write (nothing is sent).
   */
  adopt(wire: unknown): Lock | Permit {
    const { kind, name } = (typeof wire === "object" && wire !== null ? wire : {}) as {
      kind?: unknown;
      name?: unknown;
    };
    if (kind === "permit") return adoptPermit(this.#ctx, wire);
    if ((kind === "read" || kind === "write") && typeof name === "string") {
      return this.readWriteLock(name).adopt(wire);
    }
    return adoptHandle(this.#ctx, wire);
  }

  /**
   * Releases the locks this Redlock still holds (within `commandTimeout`: a node that does not
   * answer keeps them until their ttl), then closes the clients it created; clients you passed
   * in stay open. Watchdogs stop, and the signals of routines still running under `using()`
   * abort with a LockOwnershipError. A second call does nothing.
   */
  async quit(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ctx.held.releaseAll(this.options.commandTimeout);
    await Promise.all(this.#nodes.map((n) => n.close()));
  }

  /** Hooks of the nodes' restart watch; a throwing listener never breaks the chain that reads INFO. */
  #restartWatch(clock: Clock, events: Lifecycle, quarantine: RestartQuarantine): RestartWatch {
    return {
      monotonic: () => clock.monotonic(),
      marker: MARKER_KEY,
      onRecordedTtl: (ttl) => {
        quarantine.noteTtl(ttl);
      },
      onRestart: (node, runId) => {
        if (events.observed("nodeRestarted")) {
          events.publish("nodeRestarted", {
            node: node.label,
            runId,
            quarantinedFor: quarantine.left(node, clock.monotonic()),
          });
        }
      },
      onInfoError: (node, error) => {
        if (this.listenerCount("nodeError") === 0) return;
        const reason = error instanceof Error ? error.message : String(error);
        const wrapped = new Error(
          `cannot read INFO server or check the node's marker, so the restart quarantine cannot tell whether this node restarted or another server took over: ${reason}`,
          { cause: error },
        );
        queueMicrotask(() => this.emit("nodeError", node.label, wrapped));
      },
    };
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
      typeof resources === "string" && resources !== "" && isWellFormedName(resources)
        ? [resources]
        : parseOrThrow(resourcesSchema, resources, "resources");
    const validTtl =
      Number.isSafeInteger(ttl) && ttl > 0 ? ttl : parseOrThrow(ttlSchema, ttl, "ttl");
    const opts = options === undefined ? NO_OPTIONS : parseOrThrow(schema, options, "options");
    const fair = opts.fair ?? this.options.fair;
    const fencing = opts.fencing ?? this.options.fencing;
    if (fair && list.length > 1) {
      throw new LockConfigError([
        { field: "options.fair", message: "a fair lock takes exactly one resource" },
      ]);
    }
    const minReplicas = opts.minReplicas ?? this.options.minReplicas;
    if (this.#clustered && minReplicas > 0) {
      throw new LockConfigError([{ field: "options.minReplicas", message: CLUSTER_WAIT }]);
    }
    this.#ctx.restartQuarantine.noteTtl(validTtl);
    if (this.#clustered) assertOneSlot(scriptKeys(list, fair, fencing));
    return {
      resources: list,
      ttl: validTtl,
      fair,
      fencing,
      minReplicas,
      retryCount: opts.retryCount ?? this.options.retryCount,
      retryDelay: opts.retryDelay ?? this.options.retryDelay,
      retryJitter: opts.retryJitter ?? this.options.retryJitter,
      timeout: opts.timeout,
      signal: opts.signal,
      countQuarantined: opts.countQuarantined ?? false,
    };
  }
}

export type { RedisAdapter };
