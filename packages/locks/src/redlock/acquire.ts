import pRetry from "p-retry";
import {
  LockAbortedError,
  LockAcquisitionError,
  LockError,
  LockTimeoutError,
} from "../errors/index.js";
import { type LuaScript, scripts } from "../scripts/index.js";
import type { MarkerCall } from "../scripts/marker.js";
import type { LockDecoder } from "../scripts/reply.js";
import { RELEASE_CHANNEL_PREFIX } from "./channels.js";
import { type AcquireFailure, lockIdOf } from "./events.js";
import { fairQueueKeys } from "./keys.js";
import {
  createLock,
  type FlavourCall,
  type Lock,
  type LockContext,
  type LockFlavour,
} from "./lock.js";
import { pause, ReleaseNotifier, type WakeMode } from "./notifier.js";
import { fenceKeys, largestFence, raiseFence } from "./fencing.js";
import { mayHold, Round, type RoundOptions } from "./round.js";
import { newToken } from "./token.js";
import { clockDrift } from "./validity.js";
import { markerKey } from "./quarantine.js";

/** One acquisition, with options already validated and defaults applied. */
export interface AcquirePlan {
  readonly resources: readonly string[];
  readonly ttl: number;
  readonly retryCount: number;
  readonly retryDelay: number;
  readonly retryJitter: number;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** First come, first served (one resource). */
  readonly fair: boolean;
  /** Hand out a fencing token with the lock. */
  readonly fencing: boolean;
  /** Count the grants of quarantined nodes (efficiency locks: a second holder costs only work). */
  readonly countQuarantined: boolean;
  /** Replicas that must confirm each grant (WAIT); 0: none. Kept by the lock for extensions. */
  readonly minReplicas: number;
  /** Another primitive's scripts (a read-write lock's); absent for a plain lock. */
  readonly flavour?: AcquireFlavour | undefined;
}

/**
 * What an acquisition for another primitive (a read or write lease of a read-write lock) runs
 * instead of the mutex's scripts; the loop around them (rounds, validity, waiting for a release
 * notice, rollback, timeout) is the same.
 */
export interface AcquireFlavour {
  readonly script: LuaScript;
  /** The acquire script's decoder (with `fencing`, one whose grants carry the fencing token). */
  readonly decode: LockDecoder;
  encode(token: string, marker: MarkerCall): string[];
  /** Undoes a failed attempt where it may have set something, announcing nothing. */
  rollback(token: string): FlavourCall;
  /** Run once when the acquisition gives up (a waiting writer's intent goes). */
  leave?(token: string): FlavourCall;
  /** The keys whose release channels wake a waiter (see ReleaseNotifier). */
  readonly notifyOn: readonly string[];
  /** With `fencing`: the keys that hold our token, whose fence counters raiseFence lifts. */
  readonly fenced: readonly string[];
  /** For the lock that is granted. */
  readonly lock: LockFlavour;
}

/** A failed attempt; p-retry retries on it. Carries the round for the final error. */
class AttemptFailed extends Error {
  readonly round: Round;
  /** Decided once, before the wait that follows it (p-retry asks shouldRetry after the wait). */
  retry = false;
  constructor(round: Round) {
    super("quorum not reached");
    this.round = round;
  }
}

const ACQUIRE_OPTIONS: RoundOptions = {
  holders: undefined,
  skipUnresponsive: true,
  earlyFailure: true,
  quarantine: true,
};
const EFFICIENCY_OPTIONS = { ...ACQUIRE_OPTIONS, quarantine: false };

/**
 * Split votes in a row tried again by a call that makes a single attempt (`timeout: 0`,
 * `retryCount: 0`) when every node answered: most likely nobody holds the lock then, racing
 * contenders merely set their keys at the same moment, and giving up would leave the lock to
 * nobody (a cache refresh lock, say).
 */
const SINGLE_ATTEMPT_SPLITS = 4;
const ROLLBACK_OPTIONS = { skipUnresponsive: false, earlyFailure: false };

/**
 * Redlock's acquisition: attempt on every node at once, keep the lock only with a quorum and
 * positive validity (ttl − elapsed − drift, on the monotonic clock, from this attempt's start),
 * otherwise roll back and try again.
 *
 * Between attempts it waits for the lock's release (a notification from any node) or for the
 * holder's remaining ttl to run out, whichever comes first; when no holder was seen (nodes
 * failed) it waits retryDelay plus jitter. The first attempt runs without p-retry, which only
 * steps in for retries: it counts them and enforces the timeout.
 */
class Acquisition {
  readonly #ctx: LockContext;
  readonly #plan: AcquirePlan;
  readonly #token = newToken();
  readonly #script: LuaScript;
  /** Builds the script's call (its command module's encode) with the marker and quarantine. */
  readonly #encode: (marker: MarkerCall) => string[];
  /** The script's arguments, for the quarantine's arguments they were built with. */
  #args: string[] = [];
  #argsFor: readonly [string, string] | undefined;
  readonly #decode: LockDecoder;
  readonly #marker: string;
  readonly #roundOptions: RoundOptions;
  readonly #drift: number;
  /** When the call gives up (monotonic ms); -Infinity for a single attempt. */
  readonly #deadline: number;
  /** When the caller's timeout runs out (LockTimeoutError from then on). */
  readonly #timeoutAt: number;
  /** The longest wait for a holder: retryDelay + retryJitter without a timeout. */
  readonly #waitCap: number;
  /** Retries that waited for a holder or for failed nodes (retryCount bounds them). */
  readonly #retryBudget: number;
  #retries = 0;
  #attempts = 0;
  #startedAt = 0;
  /** When the current attempt left the gate (monotonic ms): its validity counts from then. */
  #attemptStartedAt = 0;
  /** Some attempt found a resource held by another owner (for the events). */
  #contended = false;
  #notifier: ReleaseNotifier | undefined;
  /** A fair lock's arrival score (the same on every node), else undefined. */
  readonly #arrival: number | undefined;
  #seenNotifications = 0;
  /** Split votes in a row, just before the current attempt (see splitBackoff). */
  #splits = 0;
  /** Split votes tried again by a single-attempt call (see SINGLE_ATTEMPT_SPLITS). */
  #singleSplits = 0;
  /** Rounds in a row that no node answered (see silentBackoff). */
  #silent = 0;
  /** When the last holder seen would expire (performance.now() ms); -Infinity if none seen. */
  #holderUntil = -Infinity;

  constructor(ctx: LockContext, plan: AcquirePlan) {
    this.#ctx = ctx;
    this.#plan = plan;
    const { resources, ttl } = plan;
    const token = this.#token;
    const first = resources[0] as string;
    this.#marker = markerKey(first, ctx.clustered);
    const flavour = plan.flavour;
    if (flavour !== undefined) {
      this.#script = flavour.script;
      this.#decode = flavour.decode;
      this.#encode = (m) => flavour.encode(token, m);
    } else if (plan.fair) {
      const { fairAcquire } = scripts;
      const [queue, leases] = fairQueueKeys(first);
      // With the fence counter as a fourth key, fair-acquire grants with a fencing token.
      const fence = plan.fencing ? (fenceKeys(resources)[0] as string) : undefined;
      const arrival = ctx.clock.wall();
      this.#arrival = arrival;
      const leaseMargin = Math.max(1_000, 2 * (plan.retryDelay + plan.retryJitter));
      this.#script = fairAcquire;
      this.#decode = plan.fencing ? fairAcquire.decodeFenced : fairAcquire.decode;
      this.#encode = (m) =>
        fairAcquire.encode({
          resource: first,
          queue,
          leases,
          fence,
          token,
          ttl,
          arrival,
          leaseMargin,
          ...m,
        });
    } else if (plan.fencing) {
      this.#arrival = undefined;
      const { acquireFenced } = scripts;
      const fences = fenceKeys(resources);
      this.#script = acquireFenced;
      this.#decode = acquireFenced.decode;
      this.#encode = (m) => acquireFenced.encode({ resources, fences, token, ttl, ...m });
    } else {
      this.#arrival = undefined;
      const { acquire } = scripts;
      this.#script = acquire;
      this.#decode = acquire.decode;
      this.#encode = (m) => acquire.encode({ resources, token, ttl, ...m });
    }
    const base = plan.countQuarantined ? EFFICIENCY_OPTIONS : ACQUIRE_OPTIONS;
    this.#roundOptions = plan.minReplicas > 0 ? { ...base, minReplicas: plan.minReplicas } : base;
    this.#drift = clockDrift(plan.ttl, ctx.driftFactor);
    const single = plan.retryCount === 0 || plan.timeout === 0;
    const now = performance.now();
    // retryCount bounds the retries that wait for a holder or for failed nodes. With a timeout,
    // the timeout rules how long each may wait (a holder's ttl, its release notification).
    // Without one, each waits at most retryDelay + retryJitter (a notification only ends it
    // earlier), so that the call gives up after about retryCount × (retryDelay + retryJitter),
    // as node-redlock's does; split votes and quarantined nodes, which use up no retry, are
    // bounded by that time too.
    this.#waitCap = plan.timeout === undefined ? plan.retryDelay + plan.retryJitter : Infinity;
    const budget =
      plan.timeout ??
      (plan.retryCount === -1 ? Infinity : plan.retryCount * (plan.retryDelay + plan.retryJitter));
    this.#deadline = single ? -Infinity : now + budget;
    this.#timeoutAt = now + (plan.timeout ?? Infinity);
    this.#retryBudget = single ? 0 : plan.retryCount === -1 ? Infinity : plan.retryCount;
  }

  /** The script's arguments; rebuilt when the quarantine changed (it grew, learned from a node). */
  #currentArgs(): string[] {
    const quarantine = this.#ctx.restartQuarantine.args;
    if (quarantine !== this.#argsFor) {
      this.#argsFor = quarantine;
      this.#args = this.#encode({ marker: this.#marker, quarantine });
    }
    return this.#args;
  }

  run(): Promise<Lock> {
    this.#startedAt = this.#ctx.clock.monotonic();
    const attempt = this.#attempt();
    if (this.#plan.fencing) {
      return attempt.then(
        async (round) =>
          (await this.#grantFenced(round, this.#attemptStartedAt)) ?? this.#retry(round),
      );
    }
    return attempt.then(
      (round) => this.#grant(round, this.#attemptStartedAt) ?? this.#retry(round),
    );
  }

  /** One round through the Redlock's gate; its validity counts from when it leaves the gate. */
  #attempt(): Promise<Round> {
    this.#attempts++;
    return this.#ctx.attempts.run(() => {
      this.#attemptStartedAt = this.#ctx.clock.monotonic();
      return this.#round().done;
    });
  }

  #round(): Round {
    return new Round(
      this.#ctx,
      this.#script,
      this.#currentArgs(),
      this.#decode,
      this.#roundOptions,
    );
  }

  /**
   * The lock, if the round reached a quorum with validity left; else rolls the round back.
   * `fence` is the fencing token of a fenced lock.
   */
  #grant(round: Round, startedAt: number, fence?: bigint): Lock | undefined {
    const ctx = this.#ctx;
    if (round.denied > 0) this.#contended = true;
    // A node recorded a longer ttl than we knew: young markers were judged on too short a
    // quarantine. Undo, and judge again on the longer one.
    if (round.granted >= ctx.quorum && !round.stale) {
      const validUntil = startedAt + this.#plan.ttl - this.#drift;
      const now = ctx.clock.monotonic();
      if (validUntil > now) {
        this.#notifier?.stop();
        // Nodes that did not grant may still queue us, ahead of everyone else, until our lease
        // lapses: leave their queues now.
        if (this.#plan.fair && round.granted < round.votes.length) this.#leaveQueue("");
        if (ctx.events.observed("acquired")) {
          ctx.events.publish("acquired", {
            ...this.#kind(),
            resources: this.#plan.resources,
            lockId: lockIdOf(this.#token),
            duration: now - this.#startedAt,
            attempts: this.#attempts,
            granted: round.granted,
            contended: this.#contended,
            fair: this.#plan.fair,
            validity: validUntil - now,
          });
        }
        return createLock(
          ctx,
          this.#plan.resources,
          this.#token,
          this.#attempts,
          round.votes,
          validUntil,
          this.#plan.minReplicas,
          fence,
          this.#plan.flavour?.lock,
        );
      }
    }
    this.#rollback(round);
    return undefined;
  }

  /**
   * #grant for a fenced round. The lock's token is the largest the granting nodes handed back;
   * when they differ, the counters are first raised to it on a quorum that still holds our keys
   * (a second round trip), so that the next holder, whose quorum shares one of those nodes,
   * draws a larger one. Validity is judged after that round.
   */
  async #grantFenced(round: Round, startedAt: number): Promise<Lock | undefined> {
    const ctx = this.#ctx;
    if (round.granted < ctx.quorum) return this.#grant(round, startedAt);
    const { token, agreed } = largestFence(round);
    if (!agreed) {
      const raised = await raiseFence(
        ctx,
        this.#plan.flavour?.fenced ?? this.#plan.resources,
        this.#token,
        token,
        round.votes,
        this.#plan.minReplicas,
      );
      if (raised.granted < ctx.quorum) {
        this.#rollback(round);
        return undefined;
      }
    }
    return this.#grant(round, startedAt, token);
  }

  /**
   * Deletes our token wherever the attempt may have set it, including nodes whose reply was
   * lost or came too late, without announcing it (waiters wake on real releases). Not awaited: a node's commands run in order on its connection, so
   * this release always lands after the acquire it undoes, and before the next attempt's.
   */
  #rollback(round: Round): void {
    if (!round.votes.some(mayHold)) return;
    const flavour = this.#plan.flavour;
    if (flavour !== undefined) {
      const undo = flavour.rollback(this.#token);
      void new Round(this.#ctx, undo.script, undo.args, undo.decode, {
        ...ROLLBACK_OPTIONS,
        holders: round.votes,
      }).done;
      return;
    }
    const { release } = scripts;
    const args = release.encode({
      resources: this.#plan.resources,
      token: this.#token,
      channelPrefix: "",
    });
    void new Round(this.#ctx, release, args, release.decode, {
      ...ROLLBACK_OPTIONS,
      holders: round.votes,
    }).done;
  }

  async #retry(first: Round): Promise<Lock> {
    const plan = this.#plan;
    try {
      if (!this.#mayRetry(first)) throw new AttemptFailed(first);
      await this.#wait(first);
      return await pRetry(
        async () => {
          this.#seenNotifications = this.#notifier?.count ?? 0;
          const round = await this.#attempt();
          const startedAt = this.#attemptStartedAt;
          const lock = plan.fencing
            ? await this.#grantFenced(round, startedAt)
            : this.#grant(round, startedAt);
          if (lock === undefined) throw new AttemptFailed(round);
          return lock;
        },
        {
          // Bounded by #mayRetry: the deadline, the retry budget, the split and quarantine rules.
          retries: Infinity,
          minTimeout: 0,
          factor: 1,
          shouldRetry: ({ error }) => error instanceof AttemptFailed && error.retry,
          onFailedAttempt: async ({ error }) => {
            if (!(error instanceof AttemptFailed)) return;
            error.retry = this.#mayRetry(error.round);
            if (error.retry) await this.#wait(error.round);
          },
        },
      );
    } catch (error) {
      // Woken, then gave up before an attempt answered the notice: the next waiter gets it.
      const notifier = this.#notifier;
      notifier?.stop(notifier.count > this.#seenNotifications);
      if (plan.fair) this.#leaveQueue(RELEASE_CHANNEL_PREFIX);
      const leave = plan.flavour?.leave?.(this.#token);
      if (leave !== undefined) {
        void new Round(this.#ctx, leave.script, leave.args, leave.decode, {
          holders: undefined,
          skipUnresponsive: true,
          earlyFailure: false,
        }).done;
      }
      const failure = this.#failure(error);
      if (this.#ctx.events.observed("acquireFailed")) this.#reportFailure(failure);
      throw failure;
    }
  }

  /**
   * Whether to try again after `round` failed. A round judged on a quarantine that has since
   * grown is tried again at once. Split votes do not use up retries (a call that makes a single
   * attempt still tries a few: see SINGLE_ATTEMPT_SPLITS); an attempt held back only by
   * quarantined nodes waits for them when they count again before the deadline, and gives up
   * at once otherwise; a holder or failed nodes use up a retry each.
   */
  #mayRetry(round: Round): boolean {
    if (this.#plan.signal?.aborted === true) return false;
    if (round.stale) return true;
    const now = performance.now();
    switch (round.reason()) {
      case "split":
        return this.#deadline === -Infinity
          ? round.failed === round.quarantined && ++this.#singleSplits <= SINGLE_ATTEMPT_SPLITS
          : now < this.#deadline;
      case "quarantined":
        return now + round.quarantineLeft() < this.#deadline;
      default:
        return (
          this.#retries < this.#retryBudget && (this.#waitCap < Infinity || now < this.#deadline)
        );
    }
  }

  #reportFailure(error: Error): void {
    const outcome: AcquireFailure =
      error instanceof LockAbortedError
        ? "aborted"
        : error instanceof LockTimeoutError
          ? "timeout"
          : error instanceof LockAcquisitionError
            ? "exhausted"
            : "error";
    this.#ctx.events.publish("acquireFailed", {
      ...this.#kind(),
      resources: this.#plan.resources,
      duration: this.#ctx.clock.monotonic() - this.#startedAt,
      attempts: this.#attempts,
      contended: this.#contended,
      outcome,
      error: error instanceof LockError ? error : new LockError(error.message, { cause: error }),
    });
  }

  /**
   * Leaves the fair queue on every node, so that this token blocks nobody: when giving up (the
   * others are told: the head may have changed) or after taking the lock.
   */
  #leaveQueue(channelPrefix: string): void {
    const { fairLeave } = scripts;
    const resource = this.#plan.resources[0] as string;
    const [queue, leases] = fairQueueKeys(resource);
    const args = fairLeave.encode({ resource, queue, leases, token: this.#token, channelPrefix });
    void new Round(this.#ctx, fairLeave, args, fairLeave.decode, {
      holders: undefined,
      skipUnresponsive: true,
      earlyFailure: false,
    }).done;
  }

  /**
   * One resource: wait in this process's line for it (a release wakes the head only; the fair
   * lock's line is in arrival order, so that its head is the queue's). Several: every release
   * of any of them wakes this waiter.
   */
  #wakeMode(): WakeMode {
    // A writer's release lets every waiting reader in: read-write waiters are all woken.
    if (this.#plan.resources.length > 1 || this.#plan.flavour !== undefined) {
      return { wake: "all" };
    }
    if (this.#arrival === undefined) return { wake: "one", rank: joined++, tie: "" };
    return { wake: "one", rank: this.#arrival, tie: this.#token };
  }

  /** Waits before the next attempt; see the class comment. */
  async #wait(round: Round): Promise<void> {
    const plan = this.#plan;
    if (plan.signal?.aborted) throw plan.signal.reason as Error;
    if (round.stale) return;
    if (!round.silent) this.#silent = 0;
    if (round.heldTtl >= 0) this.#holderUntil = performance.now() + round.heldTtl;
    const left = this.#deadline === -Infinity ? Infinity : this.#deadline - performance.now();
    const reason = round.reason();
    if (reason === "quarantined") {
      // Not a retry: the nodes count again at a known time.
      this.#splits = 0;
      return pause(Math.min(left, round.quarantineLeft() + 1), plan.signal);
    }
    if (reason === "split" && (round.granted > 0 || round.heldBack)) {
      const delay = Math.min(left, splitBackoff(round.heldTtl, plan.retryJitter, this.#splits++));
      // A holder that still has some nodes announces its release there: wake on it.
      if (this.#notifier?.listening) {
        return this.#notifier.wait(delay, this.#seenNotifications, plan.signal);
      }
      return pause(delay, plan.signal);
    }
    this.#retries++;
    if (left <= 0 && this.#waitCap === Infinity) return;
    // A round that ended early on a holder's nodes may not show the split: keep the count
    // while there is a holder.
    if (round.heldTtl < 0) this.#splits = 0;
    if (round.heldTtl >= 0) {
      if (this.#notifier === undefined) {
        this.#notifier = new ReleaseNotifier(
          this.#ctx.nodes,
          plan.flavour?.notifyOn ?? plan.resources,
          this.#wakeMode(),
        );
        // Subscribed now; the next attempt at once catches a release that came before.
        if (await this.#notifier.start()) return;
      }
      if (this.#notifier.listening) {
        return this.#notifier.wait(
          Math.min(this.#plan.timeout === undefined ? this.#waitCap : left, round.heldTtl + 1),
          this.#seenNotifications,
          plan.signal,
        );
      }
    }
    if (round.silent) {
      // No node answered: back off rather than poll, and keep listening: a release announced
      // meanwhile still wakes this waiter. Without a timeout, a bounded retryCount still bounds
      // each wait by retryDelay + retryJitter (the call's documented length).
      const cap =
        plan.timeout !== undefined
          ? left
          : this.#retryBudget === Infinity
            ? Infinity
            : this.#waitCap;
      const backoff = silentBackoff(plan.retryDelay, plan.retryJitter, this.#silent++);
      if (this.#notifier?.listening) {
        // A holder seen earlier keeps the lock until its ttl runs out unless it releases it,
        // which the subscription announces: nothing to try before then. Thousands of waiters
        // retrying a saturated process every few seconds would keep it saturated.
        const holder = this.#holderUntil - performance.now() + 1;
        return this.#notifier.wait(
          Math.min(cap, Math.max(backoff, holder)),
          this.#seenNotifications,
          plan.signal,
        );
      }
      return pause(Math.min(cap, backoff), plan.signal);
    }
    const delay = plan.retryDelay + Math.floor(Math.random() * plan.retryJitter);
    return pause(plan.timeout === undefined ? delay : Math.min(left, delay), plan.signal);
  }

  /** The `kind` field of the events, for another primitive's acquisition. */
  #kind(): { kind?: LockFlavour["kind"] } {
    const flavour = this.#plan.flavour;
    return flavour === undefined ? {} : { kind: flavour.lock.kind };
  }

  #failure(error: unknown): Error {
    const { resources, signal, timeout } = this.#plan;
    if (signal?.aborted) return new LockAbortedError(resources, signal.reason);
    if (!(error instanceof AttemptFailed)) return error as Error;
    const { round } = error;
    const outcomes = round.outcomes();
    // The last round's decision, carried by the error so that no one re-derives it.
    const details = {
      reason: round.reason(),
      holderTtl: round.heldTtl >= 0 ? round.heldTtl : undefined,
      validityRanOut: round.granted >= this.#ctx.quorum,
    };
    if (timeout !== undefined && performance.now() >= this.#timeoutAt) {
      return new LockTimeoutError(resources, timeout, this.#attempts, outcomes, details);
    }
    return new LockAcquisitionError(resources, this.#attempts, outcomes, details);
  }
}

/** Joins of the waiting lines so far: the rank of a waiter that has no arrival score. */
let joined = 0;

/** Below this, a split vote's holder ttl is taken as a lock about to expire; see splitBackoff. */
const SPLIT_EXPIRY_WINDOW = 50;
/** Doublings of the split-vote backoff, at most (about 64× its first pause). */
const SPLIT_DOUBLINGS = 6;

/**
 * The pause after a split vote (some nodes granted, too few), `splits` being how many split
 * votes came just before this one.
 *
 * A holder whose keys expire a few ms apart on different nodes (they were set a few ms apart)
 * shows a small ttl where it still holds: wait that out rather than spin through attempts that
 * each win only the nodes where it has expired. Otherwise the first split is most likely a
 * contender that set its keys at the same moment and will win or roll back within a round trip:
 * back off a little, at random, to desynchronise. Splits that repeat mean a holder missing
 * from some nodes (one restarted, or a key evicted): back off exponentially, never past the
 * holder's ttl.
 */
function splitBackoff(heldTtl: number, retryJitter: number, splits: number): number {
  if (heldTtl >= 0 && heldTtl < SPLIT_EXPIRY_WINDOW) return heldTtl + 1;
  const backoff =
    (1 + Math.random() * Math.min(retryJitter, 10)) * 2 ** Math.min(splits, SPLIT_DOUBLINGS);
  return heldTtl >= 0 ? Math.min(backoff, heldTtl + 1) : backoff;
}

/** Doublings of the pause after rounds no node answered, at most (16× retryDelay). */
const SILENT_DOUBLINGS = 4;

/**
 * The pause after a round that no node answered, `silent` being how many such rounds came just
 * before it: retryDelay doubled for each, plus jitter. A process whose event loop is saturated
 * (thousands of waiters) times out healthy nodes; polling them every retryDelay keeps it
 * saturated, backing off lets it drain.
 */
function silentBackoff(retryDelay: number, retryJitter: number, silent: number): number {
  return (
    retryDelay * 2 ** Math.min(silent, SILENT_DOUBLINGS) + Math.floor(Math.random() * retryJitter)
  );
}

/** Acquires a lock; see {@link Acquisition}. */
export function acquireLock(ctx: LockContext, plan: AcquirePlan): Promise<Lock> {
  const { resources, signal } = plan;
  if (signal === undefined) return new Acquisition(ctx, plan).run();
  if (signal.aborted) return Promise.reject(new LockAbortedError(resources, signal.reason));
  const run = new Acquisition(ctx, plan).run();
  return new Promise<Lock>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      reject(new LockAbortedError(resources, signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    run.then(
      (lock) => {
        signal.removeEventListener("abort", onAbort);
        // Aborted while the winning attempt was in flight: hand the lock straight back.
        if (aborted) lock.release().catch(() => undefined);
        else resolve(lock);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        if (!aborted) reject(error);
      },
    );
  });
}
