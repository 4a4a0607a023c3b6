import {
  LockError,
  LockExpiredError,
  type NodeOutcome,
  LockExtensionError,
  LockOwnershipError,
  LockReleaseError,
} from "../errors/index.js";
import { ttlMilliseconds } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { type LuaScript, scripts } from "../scripts/index.js";
import type { MarkerCall } from "../scripts/marker.js";
import type { LockDecoder } from "../scripts/reply.js";
import type { QuorumContext } from "./context.js";
import type { RenewalScheduler } from "./renewal.js";
import { markerKey } from "./quarantine.js";
import { Round, type Votes } from "./round.js";
import { RELEASE_CHANNEL_PREFIX } from "./channels.js";
import { lockIdOf } from "./events.js";
import type { HeldRegistry } from "./held.js";
import { clockDrift } from "./validity.js";

type LockState = "held" | "released" | "lost";

/** What a lock shares with the Redlock that acquired it. */
export interface LockContext extends QuorumContext {
  /** A lock disposed with `await using` could not be released; disposal never throws. */
  onDisposeError(lock: Lock, error: LockError): void;
  /** The Redlock's one scheduler of automatic extensions (watchdogs). */
  readonly renewals: RenewalScheduler;
  /** The holds this Redlock still has; its quit() releases them. */
  readonly held: HeldRegistry;
}

/**
 * What `JSON.stringify(lock)` gives ({@link Lock.toJSON}), and what {@link Redlock.adopt} takes
 * back in another process. It carries the whole token: whoever has it can extend and release
 * the lock.
 */
export interface LockWire {
  /** The format's version: 1. */
  readonly v: 1;
  /** What the hold is: `"lock"` for a lock, `"read"`/`"write"` for a read-write lock's. */
  readonly kind: string;
  /** The locked resource names. */
  readonly resources: readonly string[];
  /** The owner's token (the lock's `value`). */
  readonly token: string;
  /** Epoch ms (wall clock) until which the lock is valid, as {@link Lock.expiration}. */
  readonly expiration: number;
  /** The fencing token as a decimal string, when the lock has one. */
  readonly fencingToken?: string | undefined;
  /** The primitive's name, for a hold of a primitive built on locks (a read-write lock's). */
  readonly name?: string | undefined;
}

const durationSchema = ttlMilliseconds();

/** Which primitive a lock serves, in its events: absent for a plain lock (a mutex). */
export type LockKind = "permit" | "read" | "write";

/** One script call of a lock's flavour: the script, its encoded call, its decoder. */
export interface FlavourCall {
  readonly script: LuaScript;
  readonly args: string[];
  readonly decode: LockDecoder;
}

/**
 * What a lock built for another primitive (a semaphore's permit, a read-write lock's read or
 * write handle) differs in: what its events and wire form say, and, where its keys are not the
 * mutex's, the scripts that extend and release it. The rest (validity, healing, quarantine,
 * loss, `await using`) is the mutex's.
 */
export interface LockFlavour {
  /** Its events carry `kind`; its wire form names it. */
  readonly kind: LockKind;
  /** The name of the primitive (the semaphore's, the read-write lock's), for the wire form. */
  readonly name: string;
  /** The extension's call (healing where missing, never over another owner); absent: extend.lua. */
  extend?(call: { token: string; ttl: number } & MarkerCall): FlavourCall;
  /** The release's call, announced on the primitive's release channel; absent: release.lua. */
  release?(token: string): FlavourCall;
  /** With release.lua: its release is announced once on this channel (after the prefix), not per key. */
  readonly channel?: string;
}

type LockParts = [
  ctx: LockContext,
  resources: readonly string[],
  value: string,
  attempts: number,
  /** The acquire round's votes; undefined (every node asked) for an adopted lock. */
  holders: Votes | undefined,
  validUntil: number,
  minReplicas: number,
  fencingToken?: bigint,
  /** A primitive built on Lock (its scripts, its kind); undefined for a plain lock. */
  flavour?: LockFlavour,
];

// Set by Lock's static block: the constructor and the loss stay out of the public surface
// (their types are internals), yet Redlock.acquire and the watchdog reach them.
let construct: (...parts: LockParts) => Lock;
let lose: (lock: Lock, reason: LockError) => void;
let heldOf: (lock: Lock) => HeldRegistry;
let retire: (lock: Lock) => boolean;
let flavourOf: (lock: Lock) => LockFlavour | undefined;
let renewalOf: (lock: Lock) => LockRenewal;

/** Makes a held lock (Redlock.acquire, once a quorum granted; Redlock.adopt). */
export function createLock(...parts: LockParts): Lock {
  return construct(...parts);
}

/** Marks `lock` lost (the watchdog, when an extension found it gone); it is never held again. */
export function markLost(lock: Lock, reason: LockError): void {
  lose(lock, reason);
}

/** How one extension of a lock went, as a round tallies it (a Round is one). */
export interface ExtensionTally {
  /** Nodes that confirmed it. */
  readonly granted: number;
  /** Nodes where another owner's token is (or the keys were never set). */
  readonly denied: number;
  /** Each node's outcome, for errors. */
  outcomes(): NodeOutcome[];
}

/**
 * What the renewal scheduler (renewal.ts) needs of a lock to extend it in a batch, with the
 * same checks and judgement as Lock.extend(): `begin` before the call is sent (throws when the
 * lock may not be extended: released, lost, expired), `settle` with the call's tally (the
 * nodes that confirmed it, or throws: lost, or nodes failed), publishing the lock's events.
 */
export interface LockRenewal {
  readonly ctx: LockContext;
  readonly minReplicas: number;
  begin(ttl: number, startedAt: number): void;
  settle(ttl: number, startedAt: number, tally: ExtensionTally): number;
}

/** The batch renewal's access to `lock` (see {@link LockRenewal}). */
export function lockRenewal(lock: Lock): LockRenewal {
  return renewalOf(lock);
}

/**
 * Leaves `lock` out of what quit() releases: a hold meant to outlive its process (runOnce's
 * done-marker, which later processes must still find after this one shut down).
 */
export function keepOnQuit(lock: Lock): void {
  heldOf(lock).delete(lock);
}

/**
 * Calls `stop` when the Redlock that made `lock` quits (a watchdog stops and aborts its
 * routine); returns the function that unregisters it.
 */
export function onQuitOf(lock: Lock, stop: () => void): () => void {
  return heldOf(lock).onQuit(stop);
}

/**
 * Marks a held `lock` released without sending anything (its keys became another lease's: a
 * downgrade). Returns false when it was no longer held.
 */
export function retireLock(lock: Lock): boolean {
  return retire(lock);
}

/** The flavour `lock` was made with (undefined for a plain lock). */
export function lockFlavour(lock: Lock): LockFlavour | undefined {
  return flavourOf(lock);
}

/**
 * A lock held on a quorum of nodes. It stays valid until `expiration` unless extended; after
 * that, or after `release()`, it is never reported as held again. Made by Redlock.acquire().
 */
export class Lock implements AsyncDisposable {
  static {
    construct = (...parts) => new Lock(...parts);
    lose = (lock, reason) => lock.#lose(reason);
    heldOf = (lock) => lock.#ctx.held;
    retire = (lock) => {
      if (!lock.isHeld()) return false;
      lock.#state = "released";
      return true;
    };
    flavourOf = (lock) => lock.#flavour;
    renewalOf = (lock) => ({
      ctx: lock.#ctx,
      minReplicas: lock.#minReplicas,
      begin: (ttl, startedAt) => {
        try {
          lock.#begin(ttl, startedAt);
        } catch (error) {
          lock.#reportFailure(ttl, startedAt, error as LockError);
          throw error;
        }
      },
      settle: (ttl, startedAt, tally) => {
        let granted: number;
        try {
          granted = lock.#settle(ttl, startedAt, tally);
        } catch (error) {
          lock.#reportFailure(ttl, startedAt, error as LockError);
          throw error;
        }
        lock.#reportExtended(ttl, startedAt, granted);
        return granted;
      },
    });
  }
  /** The locked resource names. */
  readonly resources: readonly string[];
  /** This owner's random token, stored as the value of every resource key. */
  readonly value: string;
  /** How many attempts the acquisition took; 0 for a lock made by {@link Redlock.adopt}. */
  readonly attempts: number;
  /**
   * With `fencing: true`: a number larger than the fencing token of every earlier holder of any
   * of this lock's resources (one token per lock, also for several resources). Pass it to the
   * storage the lock protects, which rejects writes carrying a token smaller than the largest it
   * has seen. Undefined without fencing.
   */
  readonly fencingToken: bigint | undefined;
  readonly #ctx: LockContext;
  readonly #flavour: LockFlavour | undefined;
  /**
   * Where our keys may be, for release: the acquire round's votes (asked, not answered "held"),
   * until the first extension; undefined (every node) after it, since it may have set them on
   * any node.
   */
  #holders: Votes | undefined;
  /** Replicas that must confirm each extension (the acquisition's `minReplicas`). */
  readonly #minReplicas: number;
  #validUntil: number;
  #expiration: number;
  #state: LockState = "held";
  #lostReason: LockError | undefined;

  private constructor(
    ...[
      ctx,
      resources,
      value,
      attempts,
      holders,
      validUntil,
      minReplicas,
      fencingToken,
      flavour,
    ]: LockParts
  ) {
    this.#ctx = ctx;
    this.#flavour = flavour;
    this.resources = resources;
    this.value = value;
    this.attempts = attempts;
    this.fencingToken = fencingToken;
    this.#holders = holders;
    this.#minReplicas = minReplicas;
    this.#validUntil = validUntil;
    const now = ctx.clock.monotonic();
    this.#expiration = ctx.clock.wall() + (validUntil - now);
    // A lock adopted after its expiration is never held: nothing for quit() to release.
    if (validUntil > now) ctx.held.add(this);
  }

  /** Epoch ms until which the lock is valid (its validity after the drift margin). */
  get expiration(): number {
    return this.#expiration;
  }

  /** ms of validity left; 0 once expired, released or lost. */
  get remaining(): number {
    if (this.#state !== "held") return 0;
    return Math.max(0, this.#validUntil - this.#ctx.clock.monotonic());
  }

  /** True only while the lock is held and its validity has not run out. */
  isHeld(): boolean {
    return this.remaining > 0;
  }

  /**
   * Sets the ttl of every resource to `duration` ms from now, on a quorum: where our token still
   * is, and on nodes where the keys are missing (restarted empty, flushed, evicted), sets them
   * again (heals), never over another owner's key. Rejects with LockExpiredError or
   * LockOwnershipError (the lock is then lost) or LockExtensionError (nodes failed; the lock
   * keeps its previous expiration).
   */
  async extend(duration: number): Promise<this> {
    const ttl = parseOrThrow(durationSchema, duration, "duration");
    const ctx = this.#ctx;
    const startedAt = ctx.clock.monotonic();
    let granted: number;
    try {
      this.#begin(ttl, startedAt);
      // Every node is asked, not only those that granted the acquisition: a node that restarted
      // empty or was flushed since, one that was unresponsive then (skipped, nothing sent) or
      // still held a previous owner's expiring key, all may lack our keys now, and setting them
      // there (only where absent, all or none) lets the lock survive the next node's loss. Where
      // a late or lost acquire reply left our keys, they are simply extended. This is safe while
      // the lock is valid: another owner can hold at most a minority then, and its keys are
      // never touched. Healed nodes count as holding, also while in their restart quarantine:
      // that guards acquisitions against a node that forgot another owner's key, which
      // extend.lua never writes over. Nodes answering "another owner" are denied, as before.
      const marker = markerKey(this.resources[0] as string, ctx.clustered);
      const quarantine = ctx.restartQuarantine.args;
      const call =
        this.#flavour?.extend?.({ token: this.value, ttl, marker, quarantine }) ??
        plainCall(
          scripts.extend,
          scripts.extend.encode({
            resources: this.resources,
            token: this.value,
            ttl,
            marker,
            quarantine,
          }),
          scripts.extend.decode,
        );
      const round = await new Round(ctx, call.script, call.args, call.decode, {
        holders: undefined,
        skipUnresponsive: false,
        earlyFailure: true,
        minReplicas: this.#minReplicas,
      }).done;
      granted = this.#settle(ttl, startedAt, round);
    } catch (error) {
      this.#reportFailure(ttl, startedAt, error as LockError);
      throw error;
    }
    this.#reportExtended(ttl, startedAt, granted);
    return this;
  }

  /**
   * Before an extension to `ttl` sent at `startedAt`: throws when the lock may not be extended
   * (released, lost, or expired: then lost).
   */
  #begin(ttl: number, startedAt: number): void {
    this.#assertUsable();
    this.#ctx.restartQuarantine.noteTtl(ttl);
    if (startedAt >= this.#validUntil) {
      throw this.#lose(new LockExpiredError(this.resources, this.#expiration));
    }
    // From here our keys may be on any node (the extension may set them anywhere): release
    // goes to every node.
    this.#holders = undefined;
  }

  /**
   * The outcome of an extension to `ttl` sent at `startedAt`, from its tally: the number of
   * nodes that confirmed it, or throws (lost: LockExpiredError, LockOwnershipError; or
   * LockExtensionError, the lock keeping its previous expiration).
   */
  #settle(ttl: number, startedAt: number, tally: ExtensionTally): number {
    const ctx = this.#ctx;
    if (this.#state !== "held") throw this.#stateError();
    if (tally.granted >= ctx.quorum) {
      const validUntil = startedAt + ttl - clockDrift(ttl, ctx.driftFactor);
      const now = ctx.clock.monotonic();
      if (validUntil <= now) {
        throw this.#lose(new LockExpiredError(this.resources, ctx.clock.wall()));
      }
      this.#validUntil = validUntil;
      this.#expiration = ctx.clock.wall() + (validUntil - now);
      return tally.granted;
    }
    if (tally.denied > ctx.nodes.length - ctx.quorum) {
      throw this.#lose(new LockOwnershipError(this.resources, tally.outcomes()));
    }
    throw new LockExtensionError(this.resources, tally.outcomes());
  }

  #reportExtended(ttl: number, startedAt: number, granted: number): void {
    const events = this.#ctx.events;
    if (!events.observed("extended")) return;
    events.publish("extended", {
      resources: this.resources,
      lockId: lockIdOf(this.value),
      ttl,
      duration: this.#ctx.clock.monotonic() - startedAt,
      granted,
      ...this.#eventKind(),
    });
  }

  #reportFailure(ttl: number, startedAt: number, error: LockError): void {
    const events = this.#ctx.events;
    if (!events.observed("extendFailed")) return;
    events.publish("extendFailed", {
      resources: this.resources,
      lockId: lockIdOf(this.value),
      ttl,
      duration: this.#ctx.clock.monotonic() - startedAt,
      error,
      lost: this.#state === "lost",
      ...this.#eventKind(),
    });
  }

  /**
   * Deletes the resource keys wherever our token still is. Rejects at once with LockExpiredError
   * when the validity already ran out (the keys are still deleted where they remain), with
   * LockOwnershipError when a quorum no longer has our token, and with LockReleaseError when the
   * nodes could not confirm. Releasing again is a no-op.
   */
  async release(): Promise<void> {
    if (this.#state === "released") return;
    const events = this.#ctx.events;
    if (!events.observed("released") && !events.observed("releaseFailed")) {
      return this.#release();
    }
    const startedAt = this.#ctx.clock.monotonic();
    const base = { resources: this.resources, lockId: lockIdOf(this.value), ...this.#eventKind() };
    try {
      await this.#release();
      const duration = this.#ctx.clock.monotonic() - startedAt;
      if (events.observed("released")) events.publish("released", { ...base, duration });
    } catch (error) {
      if (events.observed("releaseFailed")) {
        const duration = this.#ctx.clock.monotonic() - startedAt;
        events.publish("releaseFailed", { ...base, duration, error: error as LockError });
      }
      throw error;
    }
  }

  async #release(): Promise<void> {
    const ctx = this.#ctx;
    const wasLost = this.#state === "lost";
    const expired = wasLost || ctx.clock.monotonic() >= this.#validUntil;
    this.#state = "released";
    ctx.held.delete(this);
    const call =
      this.#flavour?.release?.(this.value) ??
      plainCall(
        scripts.release,
        scripts.release.encode({
          resources: this.resources,
          token: this.value,
          channelPrefix: RELEASE_CHANNEL_PREFIX,
          channel: this.#flavour?.channel,
        }),
        scripts.release.decode,
      );
    const round = new Round(ctx, call.script, call.args, call.decode, {
      holders: this.#holders,
      skipUnresponsive: false,
      earlyFailure: false,
    }).done;
    if (expired) {
      // Best effort: whatever is left of our keys is deleted, but the caller learns at once.
      void round;
      throw this.#lostReason ?? new LockExpiredError(this.resources, this.#expiration);
    }
    const done = await round;
    if (done.granted >= ctx.quorum) return;
    if (done.denied >= ctx.quorum) throw new LockOwnershipError(this.resources, done.outcomes());
    if (done.granted > 0 && done.granted + done.denied >= ctx.quorum) return;
    throw new LockReleaseError(this.resources, done.outcomes());
  }

  /**
   * The lock's wire, for {@link Redlock.adopt} in another process (`JSON.stringify(lock)`). It
   * holds the whole token, a capability: pass it over an authenticated, encrypted channel only,
   * never log it. Once serialized, the lock is handed off: quit() no longer releases it here.
   */
  toJSON(): LockWire {
    this.#ctx.held.delete(this);
    const wire: { -readonly [K in keyof LockWire]: LockWire[K] } = {
      v: 1,
      kind: this.#flavour?.kind ?? "lock",
      resources: this.resources,
      token: this.value,
      expiration: this.#expiration,
    };
    if (this.fencingToken !== undefined) wire.fencingToken = this.fencingToken.toString();
    if (this.#flavour !== undefined) wire.name = this.#flavour.name;
    return wire;
  }

  /** What `util.inspect` shows: the lockId, not the whole token. */
  [Symbol.for("nodejs.util.inspect.custom")](): object {
    const shown: Record<string, unknown> = {
      kind: this.#flavour?.kind ?? "lock",
      resources: this.resources,
      lockId: lockIdOf(this.value),
      held: this.isHeld(),
      expiration: this.#expiration,
    };
    if (this.fencingToken !== undefined) shown["fencingToken"] = this.fencingToken;
    Object.defineProperty(shown, Symbol.toStringTag, { value: "Lock" });
    return shown;
  }

  /** Releases the lock at the end of an `await using` scope; failures go to the Redlock's events. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (error) {
      this.#ctx.onDisposeError(
        this,
        error instanceof LockError ? error : new LockError(String(error), { cause: error }),
      );
    }
  }

  #lose(reason: LockError): LockError {
    if (this.#state === "held") {
      this.#state = "lost";
      this.#lostReason = reason;
      this.#ctx.held.delete(this);
      const events = this.#ctx.events;
      if (events.observed("lost")) {
        events.publish("lost", {
          resources: this.resources,
          lockId: lockIdOf(this.value),
          error: reason,
          ...this.#eventKind(),
        });
      }
    }
    return reason;
  }

  /** The `kind` field of its events, for a lock that serves another primitive. */
  #eventKind(): { kind?: LockKind } {
    return this.#flavour === undefined ? {} : { kind: this.#flavour.kind };
  }

  #assertUsable(): void {
    if (this.#state !== "held") throw this.#stateError();
  }

  #stateError(): LockError {
    if (this.#state === "lost" && this.#lostReason !== undefined) return this.#lostReason;
    return new LockOwnershipError(this.resources, [], "the lock was released");
  }
}

function plainCall(script: LuaScript, args: string[], decode: LockDecoder): FlavourCall {
  return { script, args, decode };
}
