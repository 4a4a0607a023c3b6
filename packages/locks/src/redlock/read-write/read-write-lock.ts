import {
  LockConfigError,
  LockExpiredError,
  LockExtensionError,
  LockOwnershipError,
} from "../../errors/index.js";
import { ttlMilliseconds } from "../../options/fields.js";
import { parseOrThrow } from "../../options/parse.js";
import { scripts } from "../../scripts/index.js";
import type { RwKeys } from "../../scripts/rw-keys.js";
import { type AcquirePlan, acquireLock } from "../acquire.js";
import { createLock, type Lock, type LockContext, lockFlavour, retireLock } from "../lock.js";
import { Round, Vote } from "../round.js";
import { clockDrift } from "../validity.js";
import { leaseFlavour, readFlavour, writeFlavour } from "./flavours.js";
import { rwChannel, rwKeys } from "./keys.js";
import {
  type RwAcquireOptions,
  rwAcquireOptionsSchema,
  type RwUsingOptions,
  rwUsingOptionsSchema,
  rwWireSchema,
} from "./options.js";

/** The default of the `intentTtl` option, in ms. */
export const DEFAULT_INTENT_TTL = 2_000;

/** A routine run under a read or write lease by `usingRead()` / `usingWrite()`. */
export type RwRoutine<T> = (signal: AbortSignal, handle: Lock) => Promise<T>;

/** What a read-write lock takes from the Redlock that made it (internal). */
export interface RwHost {
  readonly ctx: LockContext;
  /** The acquisition's plan for `name`, as `acquire()` builds it (defaults, quarantine). */
  plan(name: string, ttl: number, options: RwUsingOptions | undefined): AcquirePlan;
  /** Runs `routine` under the lease `plan` acquires, as `using()` does (watchdog, release). */
  hold<T>(
    plan: AcquirePlan,
    options: RwUsingOptions | undefined,
    routine: RwRoutine<T>,
  ): Promise<T>;
}

const ttlSchema = ttlMilliseconds();
const OPTIONS_FIRST = { field: "routine", message: "must be a function" };

let construct: (host: RwHost, name: string, fencing: boolean, intentTtl: number) => ReadWriteLock;

/** Makes a read-write lock (Redlock.readWriteLock, options already checked). */
export function createReadWriteLock(
  host: RwHost,
  name: string,
  fencing: boolean,
  intentTtl: number,
): ReadWriteLock {
  return construct(host, name, fencing, intentTtl);
}

/**
 * A distributed read-write lock on a quorum of nodes: any number of readers at once, or one
 * writer and no reader. Made by {@link Redlock.readWriteLock}; it holds no state of its own
 * but its name and options, so any number of them may exist for one name, in any process.
 *
 * Each node keeps the writer's lease (a key with a ttl), every reader's lease (a sorted set of
 * token → expiry on the server's clock, pruned by every script, so a reader's lease ends on
 * its own and a new reader never prolongs the others') and a waiting writer's intent. Any two
 * quorums share a node, and a node never holds a writer together with live readers: a writer
 * valid on a quorum excludes every reader, and the other way round.
 *
 * Writers are preferred: a writer kept out by readers records its intent on the nodes, which
 * then refuse new readers, so a stream of readers cannot starve it; the readers already in
 * finish (or expire), then the writer gets the lock. The intent has a short ttl (`intentTtl`)
 * that the waiting writer renews; one that gives up withdraws it at once, one that crashed
 * stops blocking readers when it runs out.
 *
 * The handles are {@link Lock}s: `isHeld()`, `remaining`, `expiration`, `extend()`,
 * `release()`, `await using`, `toJSON()`; validity is ttl − elapsed − drift as for a mutex,
 * extensions heal missing leases (never over another owner), and releases announce themselves
 * so that waiters wake by notification.
 *
 * A read lease cannot be upgraded in place: `acquireWrite()` by the holder of a read lease
 * waits for that very lease to end, like any writer, so it fails when its `timeout` (or its
 * retries) run out rather than waiting forever; release the read lease first. A write lease
 * can be downgraded to a read lease atomically: {@link ReadWriteLock.downgrade}.
 */
export class ReadWriteLock {
  static {
    construct = (host, name, fencing, intentTtl) =>
      new ReadWriteLock(host, name, fencing, intentTtl);
  }
  /** The lock's name (its keys are derived from it, in its Redis Cluster hash slot). */
  readonly name: string;
  /** Whether writers get fencing tokens. */
  readonly fencing: boolean;
  /** How long a waiting writer's intent outlives its last attempt, in ms. */
  readonly intentTtl: number;
  readonly #host: RwHost;
  readonly #keys: RwKeys;

  private constructor(host: RwHost, name: string, fencing: boolean, intentTtl: number) {
    this.#host = host;
    this.name = name;
    this.fencing = fencing;
    this.intentTtl = intentTtl;
    this.#keys = rwKeys(name);
  }

  /**
   * Acquires a read lease for `ttl` ms: granted while no writer holds the lock nor waits for
   * it, alongside any number of other readers.
   * @throws LockConfigError for invalid arguments (nothing is sent), LockTimeoutError,
   *   LockAcquisitionError, LockAbortedError as `acquire()`.
   */
  acquireRead(ttl: number, options?: RwAcquireOptions): Promise<Lock> {
    try {
      return acquireLock(this.#host.ctx, this.#plan("read", ttl, options, rwAcquireOptionsSchema));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Acquires the write lease for `ttl` ms: granted once no other writer holds it and no reader
   * does; while it waits, new readers are kept out. With a `timeout` and no `retryCount`, the
   * writer keeps renewing its intent until the timeout (each renewal is a retry otherwise).
   * @throws as {@link ReadWriteLock.acquireRead}.
   */
  acquireWrite(ttl: number, options?: RwAcquireOptions): Promise<Lock> {
    try {
      return acquireLock(this.#host.ctx, this.#plan("write", ttl, options, rwAcquireOptionsSchema));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs `routine` under a read lease, extended automatically while it runs, as
   * `redlock.using()` does; released afterwards.
   */
  usingRead<T>(ttl: number, routine: RwRoutine<T>): Promise<T>;
  /** With `using()`'s options (threshold, caps, timeout, signal, ...). */
  usingRead<T>(ttl: number, options: RwUsingOptions, routine: RwRoutine<T>): Promise<T>;
  usingRead<T>(
    ttl: number,
    optionsOrRoutine: RwUsingOptions | RwRoutine<T>,
    routine?: RwRoutine<T>,
  ): Promise<T> {
    return this.#using("read", ttl, optionsOrRoutine, routine);
  }

  /** Runs `routine` under the write lease, as {@link ReadWriteLock.usingRead}. */
  usingWrite<T>(ttl: number, routine: RwRoutine<T>): Promise<T>;
  /** With `using()`'s options (threshold, caps, timeout, signal, ...). */
  usingWrite<T>(ttl: number, options: RwUsingOptions, routine: RwRoutine<T>): Promise<T>;
  usingWrite<T>(
    ttl: number,
    optionsOrRoutine: RwUsingOptions | RwRoutine<T>,
    routine?: RwRoutine<T>,
  ): Promise<T> {
    return this.#using("write", ttl, optionsOrRoutine, routine);
  }

  /**
   * Turns a held write lease into a read lease of `ttl` ms with the same token (and fencing
   * token), in one step on each node: no other writer can come in between, and waiting readers
   * are woken. Resolves with the read handle; the write handle is released then. When a quorum
   * cannot confirm, the writer's leases are released everywhere (best effort) and the call
   * rejects with LockOwnershipError (a quorum no longer had the writer) or LockExtensionError.
   * @throws LockConfigError when `write` is not a held write lease of this lock.
   */
  async downgrade(write: Lock, ttl: number): Promise<Lock> {
    const validTtl = parseOrThrow(ttlSchema, ttl, "ttl");
    const flavour = lockFlavour(write);
    if (flavour?.kind !== "write" || flavour.name !== this.name) {
      throw new LockConfigError([
        { field: "write", message: `must be a write lease of the read-write lock "${this.name}"` },
      ]);
    }
    if (!write.isHeld()) throw new LockExpiredError(write.resources, write.expiration);
    const ctx = this.#host.ctx;
    ctx.restartQuarantine.noteTtl(validTtl);
    const startedAt = ctx.clock.monotonic();
    const channel = rwChannel(this.#keys);
    const { rwDowngrade } = scripts;
    const args = rwDowngrade.encode({
      keys: this.#keys,
      token: write.value,
      ttl: validTtl,
      channel,
    });
    const round = await new Round(ctx, rwDowngrade, args, rwDowngrade.decode, {
      holders: undefined,
      skipUnresponsive: false,
      earlyFailure: true,
    }).done;
    const validUntil = startedAt + validTtl - clockDrift(validTtl, ctx.driftFactor);
    if (round.granted >= ctx.quorum && validUntil > ctx.clock.monotonic()) {
      retireLock(write);
      return createLock(
        ctx,
        write.resources,
        write.value,
        write.attempts,
        round.votes,
        validUntil,
        0,
        write.fencingToken,
        leaseFlavour(this.name, this.#keys, "read"),
      );
    }
    // Some nodes may have the reader now, others the writer: neither lease is sound, so both go.
    const release = leaseFlavour(this.name, this.#keys, "write").release(write.value);
    retireLock(write);
    void new Round(ctx, release.script, release.args, release.decode, {
      holders: undefined,
      skipUnresponsive: false,
      earlyFailure: false,
    }).done;
    if (round.denied > ctx.nodes.length - ctx.quorum) {
      throw new LockOwnershipError(write.resources, round.outcomes());
    }
    throw new LockExtensionError(write.resources, round.outcomes());
  }

  /**
   * Rebuilds a read or write handle of this lock from its wire form (`handle.toJSON()`, sent
   * from another process): it extends, releases and reports `isHeld()` like the original, its
   * validity running to the wire's `expiration` (on this machine's clock). The token is a
   * capability: whoever has the wire can release the lease, so pass it only over a trusted
   * channel.
   * @throws LockConfigError when `wire` is malformed or names another lock.
   */
  adopt(wire: unknown): Lock {
    const parsed = parseOrThrow(rwWireSchema, wire, "wire");
    if (parsed.name !== this.name || parsed.resources[0] !== this.name) {
      throw new LockConfigError([
        { field: "wire.name", message: `must be the read-write lock's name "${this.name}"` },
      ]);
    }
    return adoptReadWriteHandle(this.#host.ctx, parsed);
  }

  #plan(
    kind: "read" | "write",
    ttl: number,
    options: RwUsingOptions | undefined,
    schema: typeof rwAcquireOptionsSchema | typeof rwUsingOptionsSchema,
  ): AcquirePlan {
    const opts = options === undefined ? undefined : parseOrThrow(schema, options, "options");
    const base = this.#host.plan(this.name, ttl, opts);
    const keys = this.#keys;
    if (kind === "read") {
      return {
        ...base,
        fair: false,
        fencing: false,
        flavour: readFlavour(this.name, keys, base.ttl),
      };
    }
    // Each renewal of the intent is a retry: with a timeout, the timeout alone bounds them.
    const renewing = opts?.timeout !== undefined && opts.retryCount === undefined;
    return {
      ...base,
      fair: false,
      fencing: this.fencing,
      retryCount: renewing ? -1 : base.retryCount,
      flavour: writeFlavour(this.name, keys, base.ttl, this.intentTtl, this.fencing),
    };
  }

  async #using<T>(
    kind: "read" | "write",
    ttl: number,
    optionsOrRoutine: RwUsingOptions | RwRoutine<T>,
    maybeRoutine: RwRoutine<T> | undefined,
  ): Promise<T> {
    const routine = typeof optionsOrRoutine === "function" ? optionsOrRoutine : maybeRoutine;
    const options = typeof optionsOrRoutine === "function" ? undefined : optionsOrRoutine;
    if (typeof routine !== "function") throw new LockConfigError([OPTIONS_FIRST]);
    const plan = this.#plan(kind, ttl, options, rwUsingOptionsSchema);
    return this.#host.hold(plan, options, routine);
  }
}

/**
 * A read or write handle rebuilt from its wire form (already validated: see rwWireSchema):
 * validity from the wire's expiration; extensions and the release go to every node.
 */
export function adoptReadWriteHandle(
  ctx: LockContext,
  wire: {
    readonly kind: "read" | "write";
    readonly token: string;
    readonly expiration: number;
    readonly fencingToken?: string | undefined;
    readonly name: string;
  },
): Lock {
  const validUntil = ctx.clock.monotonic() + (wire.expiration - ctx.clock.wall());
  // Every node may hold the lease: pending votes are asked by the release.
  const holders = new Uint8Array(ctx.nodes.length).fill(Vote.Pending);
  return createLock(
    ctx,
    [wire.name],
    wire.token,
    0,
    holders,
    validUntil,
    0,
    wire.fencingToken === undefined ? undefined : BigInt(wire.fencingToken),
    leaseFlavour(wire.name, rwKeys(wire.name), wire.kind),
  );
}
