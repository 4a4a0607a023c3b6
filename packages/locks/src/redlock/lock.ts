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
import { scripts } from "../scripts/index.js";
import type { QuorumContext } from "./context.js";
import type { RenewalScheduler } from "./renewal.js";
import { markerKey } from "./quarantine.js";
import { Round, type Votes } from "./round.js";
import { RELEASE_CHANNEL_PREFIX } from "./channels.js";
import { lockIdOf } from "./events.js";
import { clockDrift } from "./validity.js";

type LockState = "held" | "released" | "lost";

/** What a lock shares with the Redlock that acquired it. */
export interface LockContext extends QuorumContext {
  /** A lock disposed with `await using` could not be released; disposal never throws. */
  onDisposeError(lock: Lock, error: LockError): void;
  /** The Redlock's one scheduler of automatic extensions (watchdogs). */
  readonly renewals: RenewalScheduler;
}

const durationSchema = ttlMilliseconds();

type LockParts = [
  ctx: LockContext,
  resources: readonly string[],
  value: string,
  attempts: number,
  holders: Votes,
  validUntil: number,
  minReplicas: number,
  fencingToken?: bigint,
];

// Set by Lock's static block: the constructor and the loss stay out of the public surface
// (their types are internals), yet Redlock.acquire and the watchdog reach them.
let construct: (...parts: LockParts) => Lock;
let lose: (lock: Lock, reason: LockError) => void;
let renewalOf: (lock: Lock) => LockRenewal;

/** Makes a held lock (Redlock.acquire, once a quorum granted). */
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
 * A lock held on a quorum of nodes. It stays valid until `expiration` unless extended; after
 * that, or after `release()`, it is never reported as held again. Made by Redlock.acquire().
 */
export class Lock implements AsyncDisposable {
  static {
    construct = (...parts) => new Lock(...parts);
    lose = (lock, reason) => lock.#lose(reason);
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
  /** How many attempts the acquisition took. */
  readonly attempts: number;
  /**
   * With `fencing: true`: a number larger than the fencing token of every earlier holder of any
   * of this lock's resources (one token per lock, also for several resources). Pass it to the
   * storage the lock protects, which rejects writes carrying a token smaller than the largest it
   * has seen. Undefined without fencing.
   */
  readonly fencingToken: bigint | undefined;
  readonly #ctx: LockContext;
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
    ...[ctx, resources, value, attempts, holders, validUntil, minReplicas, fencingToken]: LockParts
  ) {
    this.#ctx = ctx;
    this.resources = resources;
    this.value = value;
    this.attempts = attempts;
    this.fencingToken = fencingToken;
    this.#holders = holders;
    this.#minReplicas = minReplicas;
    this.#validUntil = validUntil;
    this.#expiration = ctx.clock.wall() + (validUntil - ctx.clock.monotonic());
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
      const args = scripts.extend.encode({
        resources: this.resources,
        token: this.value,
        ttl,
        marker: markerKey(this.resources[0] as string, ctx.clustered),
        quarantine: ctx.restartQuarantine.args,
      });
      const round = await new Round(ctx, scripts.extend, args, scripts.extend.decode, {
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
    const base = { resources: this.resources, lockId: lockIdOf(this.value) };
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
    const args = scripts.release.encode({
      resources: this.resources,
      token: this.value,
      channelPrefix: RELEASE_CHANNEL_PREFIX,
    });
    const round = new Round(ctx, scripts.release, args, scripts.release.decode, {
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
      const events = this.#ctx.events;
      if (events.observed("lost")) {
        events.publish("lost", {
          resources: this.resources,
          lockId: lockIdOf(this.value),
          error: reason,
        });
      }
    }
    return reason;
  }

  #assertUsable(): void {
    if (this.#state !== "held") throw this.#stateError();
  }

  #stateError(): LockError {
    if (this.#state === "lost" && this.#lostReason !== undefined) return this.#lostReason;
    return new LockOwnershipError(this.resources, [], "the lock was released");
  }
}
