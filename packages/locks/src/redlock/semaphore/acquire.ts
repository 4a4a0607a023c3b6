import {
  LockAbortedError,
  LockAcquisitionError,
  LockError,
  LockTimeoutError,
  SemaphoreLimitError,
} from "../../errors/index.js";
import { scripts } from "../../scripts/index.js";
import { LIMIT_MISMATCH, parseSlotGrant } from "../../scripts/semaphore-acquire.js";
import { RELEASE_CHANNEL_PREFIX } from "../channels.js";
import { lockIdOf } from "../events.js";
import { createLock, type LockContext } from "../lock.js";
import { pause, ReleaseNotifier } from "../notifier.js";
import { markerKey } from "../quarantine.js";
import type { SemaphoreAcquireCall } from "../../scripts/semaphore-acquire.js";
import { mayHold, Round, type RoundOptions, Vote } from "../round.js";
import { newToken } from "../token.js";
import { clockDrift } from "../validity.js";
import type { SemaphoreKeys } from "./keys.js";
import { createPermit, Permit } from "./permit.js";

/** One permit acquisition, options validated and defaults applied. */
export interface PermitPlan {
  readonly name: string;
  readonly limit: number;
  readonly keys: SemaphoreKeys;
  readonly permits: number;
  readonly ttl: number;
  readonly fair: boolean;
  readonly fencing: boolean;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly retryCount: number;
  readonly retryDelay: number;
  readonly retryJitter: number;
}

const ACQUIRE_OPTIONS: RoundOptions = {
  holders: undefined,
  skipUnresponsive: true,
  earlyFailure: true,
  quarantine: true,
};
const CLEANUP_OPTIONS = { skipUnresponsive: false, earlyFailure: false };
/** Doublings of the pause after rounds whose grants disagreed on the slots, at most. */
const SPLIT_DOUBLINGS = 6;

/** Which slots a round's grants agree on, and the nodes that granted all of them. */
interface Agreement {
  /** Slot indices (1-based), best supported first. */
  readonly chosen: number[];
  /** Per node: granted every chosen slot. */
  readonly supporters: boolean[];
  readonly support: number;
  /** Per node: its fencing token, for grants. */
  readonly fences: (bigint | undefined)[];
  /** Slot indices ordered by how many nodes granted them: the next attempt's order. */
  readonly order: number[];
  /**
   * Some node may have our token on a slot not chosen: it granted one, or it failed after the
   * script was sent (an error, a timeout, a quarantined grant). Only then does a grant clean the other slots up: on the
   * common path every node granted the same slots, and a cleanup would cost each acquisition a
   * second script per node.
   */
  readonly stray: boolean;
}

/**
 * The slots of a round's grants that the most nodes granted (ties to the candidate order), the
 * `permits` best of them, and which nodes granted all of those. Nodes that agree on the slots'
 * owners take the same slots, since each takes the first free ones in the same order.
 */
function agree(round: Round, order: readonly number[], permits: number): Agreement {
  const counts = new Map<number, number>();
  const granted: (Set<number> | undefined)[] = [];
  const fences: (bigint | undefined)[] = [];
  for (let i = 0; i < round.votes.length; i++) {
    if (round.votes[i] !== Vote.Granted) continue;
    const { slots, fence } = parseSlotGrant(String(round.details?.[i]));
    granted[i] = new Set(slots);
    fences[i] = fence;
    for (const slot of slots) counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  const rank = [...order].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0));
  const chosen = rank.slice(0, permits).filter((slot) => (counts.get(slot) ?? 0) > 0);
  const supporters = round.votes.length === 0 ? [] : Array.from(round.votes, () => false);
  let support = 0;
  if (chosen.length === permits) {
    for (let i = 0; i < round.votes.length; i++) {
      const set = granted[i];
      if (set !== undefined && chosen.every((slot) => set.has(slot))) {
        supporters[i] = true;
        support++;
      }
    }
  }
  // A node still pending when the round was decided (it stops at a quorum) is taken to do as
  // the others did: it takes the first free slots in the same order, so it differs only where
  // its state does, which the answered nodes then show too. Should it alone differ, our token
  // stays on one slot of one node (a minority: no permit counts it) until the ttl.
  let stray = false;
  for (let i = 0; i < round.votes.length && !stray; i++) {
    const set = granted[i];
    if (set === undefined) {
      const vote = round.votes[i];
      stray = vote !== Vote.Pending && mayHold(vote);
    } else stray = set.size !== chosen.length || !chosen.every((slot) => set.has(slot));
  }
  return { chosen, supporters, support, fences, order: rank, stray };
}

/**
 * A semaphore's acquisition: the Redlock acquisition, with slots. Each round asks every node to
 * take `permits` free slots in one order; the client keeps the slots that a quorum granted (the
 * same slots on each of those nodes: each slot is then a quorum mutex, so never more than
 * `limit` permits are valid together), deletes our token from every other slot, and judges
 * validity as for a lock (ttl − elapsed − drift). A round without such a quorum is rolled back.
 *
 * Between rounds it waits, as the lock does, for a release notice (one channel per semaphore)
 * or for the earliest slot's ttl; after grants that disagreed (racing contenders) it backs off a
 * little at random; after failed nodes it waits retryDelay plus jitter.
 */
class PermitAcquisition {
  readonly #ctx: LockContext;
  readonly #plan: PermitPlan;
  readonly #token = newToken();
  readonly #marker: string;
  readonly #resources: readonly string[];
  #order: number[];
  #attempts = 0;
  #retries = 0;
  #splits = 0;
  #contended = false;
  #notifier: ReleaseNotifier | undefined;
  /** Notifications received before the last round was sent: one since wakes the wait at once. */
  #seen = 0;
  readonly #deadline: number;
  readonly #startedAt: number;
  readonly #fair: SemaphoreAcquireCall["fair"];

  constructor(ctx: LockContext, plan: PermitPlan) {
    this.#ctx = ctx;
    this.#plan = plan;
    this.#marker = markerKey(plan.keys.slots[0] as string, ctx.clustered);
    this.#resources = [plan.name];
    this.#order = Array.from({ length: plan.limit }, (_, i) => i + 1);
    const budget =
      plan.timeout ??
      (plan.retryCount === -1 ? Infinity : plan.retryCount * (plan.retryDelay + plan.retryJitter));
    this.#startedAt = ctx.clock.monotonic();
    this.#deadline = performance.now() + budget;
    this.#fair = plan.fair
      ? {
          queue: plan.keys.queue,
          leases: plan.keys.leases,
          arrival: ctx.clock.wall(),
          leaseMargin: Math.max(1_000, 2 * (plan.retryDelay + plan.retryJitter)),
          channel: RELEASE_CHANNEL_PREFIX + plan.keys.channel,
        }
      : undefined;
  }

  async run(): Promise<Permit> {
    try {
      for (;;) {
        const permit = await this.#attempt();
        if (permit instanceof Permit) {
          const signal = this.#plan.signal;
          if (signal?.aborted) {
            // Aborted while the winning round was in flight: hand the permits straight back.
            permit.release().catch(() => undefined);
            throw new LockAbortedError(this.#resources, signal.reason);
          }
          return permit;
        }
        await this.#wait(permit);
      }
    } catch (error) {
      this.#notifier?.stop();
      // A fair waiter that gives up leaves the queues, and the others are told: the head may
      // have changed.
      if (this.#fair !== undefined) this.#leaveQueue(RELEASE_CHANNEL_PREFIX);
      const failure = this.#failure(error);
      if (this.#ctx.events.observed("acquireFailed")) {
        this.#ctx.events.publish("acquireFailed", {
          resources: this.#resources,
          duration: this.#ctx.clock.monotonic() - this.#startedAt,
          attempts: this.#attempts,
          contended: this.#contended,
          outcome:
            failure instanceof LockAbortedError
              ? "aborted"
              : failure instanceof LockTimeoutError
                ? "timeout"
                : failure instanceof LockAcquisitionError
                  ? "exhausted"
                  : "error",
          error:
            failure instanceof LockError
              ? failure
              : new LockError(failure.message, { cause: failure }),
          kind: "permit",
        });
      }
      throw failure;
    }
  }

  /** One round: the permit, or the round that did not give one (rolled back). */
  async #attempt(): Promise<Permit | Round> {
    const ctx = this.#ctx;
    const plan = this.#plan;
    if (plan.signal?.aborted) throw new LockAbortedError(this.#resources, plan.signal.reason);
    this.#attempts++;
    const seen = this.#notifier?.count ?? 0;
    const startedAt = ctx.clock.monotonic();
    const args = scripts.semaphoreAcquire.encode({
      slots: plan.keys.slots,
      record: plan.keys.record,
      fence: plan.keys.fence,
      token: this.#token,
      ttl: plan.ttl,
      permits: plan.permits,
      order: this.#order,
      fencing: plan.fencing,
      fair: this.#fair,
      marker: this.#marker,
      quarantine: ctx.restartQuarantine.args,
    });
    const round = await new Round(
      ctx,
      scripts.semaphoreAcquire,
      args,
      scripts.semaphoreAcquire.decode,
      ACQUIRE_OPTIONS,
    ).done;
    this.#seen = seen;
    if (round.denied > 0) this.#contended = true;
    const mismatch = recordedLimit(round);
    if (mismatch !== undefined) {
      this.#release(round, plan.keys.slots, "");
      throw new SemaphoreLimitError(plan.name, plan.limit, mismatch);
    }
    const agreement = agree(round, this.#order, plan.permits);
    // The next attempt asks for the slots most nodes gave first, so that they converge.
    this.#order = agreement.order;
    if (agreement.support >= ctx.quorum && !round.stale) {
      const permit = await this.#grant(round, agreement, startedAt);
      if (permit !== undefined) return permit;
    }
    this.#release(round, plan.keys.slots, "");
    return round;
  }

  async #grant(round: Round, agreement: Agreement, startedAt: number): Promise<Permit | undefined> {
    const ctx = this.#ctx;
    const plan = this.#plan;
    const chosen = agreement.chosen.map((slot) => plan.keys.slots[slot - 1] as string);
    // Our token on any other slot, on any node (grants the quorum did not share, late
    // replies): deleted and announced, since a waiter may want exactly that slot.
    const others = plan.keys.slots.filter((key) => !chosen.includes(key));
    let fence: bigint | undefined;
    if (plan.fencing) {
      let agreed = true;
      for (let i = 0; i < round.votes.length; i++) {
        if (!agreement.supporters[i]) continue;
        const value = agreement.fences[i] as bigint;
        if (fence !== undefined && value !== fence) agreed = false;
        if (fence === undefined || value > fence) fence = value;
      }
      if (!agreed && fence !== undefined) {
        // As a fenced lock: lift the counter to the token on a quorum that still holds the
        // slots, so that the next permit, whose quorum shares a node, draws a larger one.
        const args = scripts.fenceRaise.encode({
          resources: chosen,
          fences: chosen.map(() => plan.keys.fence),
          token: this.#token,
          fence,
        });
        const raised = await new Round(ctx, scripts.fenceRaise, args, scripts.fenceRaise.decode, {
          holders: round.votes,
          skipUnresponsive: false,
          earlyFailure: true,
        }).done;
        if (raised.granted < ctx.quorum) return undefined;
      }
    }
    const validUntil = startedAt + plan.ttl - clockDrift(plan.ttl, ctx.driftFactor);
    const now = ctx.clock.monotonic();
    if (validUntil <= now) return undefined;
    this.#notifier?.stop();
    if (agreement.stray && others.length > 0) {
      this.#release(round, others, RELEASE_CHANNEL_PREFIX);
    }
    // Nodes that did not grant may still queue us, ahead of everyone, until our lease lapses.
    if (this.#fair !== undefined && agreement.support < round.votes.length) this.#leaveQueue("");
    if (ctx.events.observed("acquired")) {
      ctx.events.publish("acquired", {
        resources: chosen,
        lockId: lockIdOf(this.#token),
        duration: now - this.#startedAt,
        attempts: this.#attempts,
        granted: agreement.support,
        contended: this.#contended,
        fair: plan.fair,
        validity: validUntil - now,
        kind: "permit",
      });
    }
    const lock = createLock(
      ctx,
      chosen,
      this.#token,
      this.#attempts,
      round.votes,
      validUntil,
      0,
      fence,
      { kind: "permit", name: plan.name, channel: plan.keys.channel },
    );
    return createPermit(plan.name, plan.limit, lock);
  }

  /**
   * Deletes our token from `keys` wherever the round may have set it (late replies included: a
   * node's commands run in order, so this lands after the acquire it undoes). Not awaited.
   * `prefix` "" announces nothing (a rollback: waking every waiter for it would only start
   * another round of failed attempts).
   */
  #release(round: Round, keys: readonly string[], prefix: string): void {
    if (!round.votes.some(mayHold)) return;
    const { release } = scripts;
    const args = release.encode({
      resources: keys,
      token: this.#token,
      channelPrefix: prefix,
      channel: this.#plan.keys.channel,
    });
    void new Round(this.#ctx, release, args, release.decode, {
      ...CLEANUP_OPTIONS,
      holders: round.votes,
    }).done;
  }

  /** Leaves the fair queue on every node; `prefix` "" tells nobody. Not awaited. */
  #leaveQueue(prefix: string): void {
    const { fairLeave } = scripts;
    const keys = this.#plan.keys;
    const args = fairLeave.encode({
      resource: keys.channel,
      queue: keys.queue,
      leases: keys.leases,
      token: this.#token,
      channelPrefix: prefix,
    });
    void new Round(this.#ctx, fairLeave, args, fairLeave.decode, {
      holders: undefined,
      skipUnresponsive: true,
      earlyFailure: false,
    }).done;
  }

  /** Waits before the next attempt, or throws when the call should give up. */
  async #wait(round: Round): Promise<void> {
    const plan = this.#plan;
    const seen = this.#seen;
    if (round.stale) return;
    const now = performance.now();
    const left = this.#deadline - now;
    const single = plan.timeout === 0 || plan.retryCount === 0;
    const reason = round.reason();
    if (reason === "quarantined") {
      if (single || round.quarantineLeft() >= left) throw new AttemptFailed(round);
      return pause(round.quarantineLeft() + 1, plan.signal);
    }
    // Some nodes granted, too few or on other slots: most likely contenders that took slots at
    // the same moment and rolled back silently, so no notice would come. A short random pause,
    // doubling while it repeats, never past the earliest slot's ttl nor the call's end.
    if (round.granted > 0 && reason !== "unavailable") {
      if (left <= 0 || (single && this.#splits >= 4)) throw new AttemptFailed(round);
      let backoff =
        (1 + Math.random() * Math.min(plan.retryJitter, 10)) *
        2 ** Math.min(this.#splits++, SPLIT_DOUBLINGS);
      if (round.heldTtl >= 0) backoff = Math.min(backoff, round.heldTtl + 1);
      if (this.#notifier?.listening) {
        return this.#notifier.wait(Math.min(left, backoff), seen, plan.signal);
      }
      return pause(Math.min(left, backoff), plan.signal);
    }
    this.#splits = 0;
    if (single || left <= 0) throw new AttemptFailed(round);
    if (plan.timeout === undefined && plan.retryCount !== -1 && this.#retries >= plan.retryCount) {
      throw new AttemptFailed(round);
    }
    this.#retries++;
    if (round.heldTtl >= 0) {
      // The semaphore is full on enough nodes: wait for a release notice, or for the earliest
      // slot's ttl, never polling.
      if (this.#notifier === undefined) {
        this.#notifier = new ReleaseNotifier(this.#ctx.nodes, [plan.keys.channel]);
        // Subscribed now: try again at once, to catch a release that came before.
        if (await this.#notifier.start()) return;
      }
      if (this.#notifier.listening) {
        const cap = plan.timeout === undefined ? plan.retryDelay + plan.retryJitter : left;
        const ttl = round.heldTtl + 1;
        return this.#notifier.wait(
          Math.min(plan.timeout === undefined && plan.retryCount !== -1 ? cap : left, ttl),
          seen,
          plan.signal,
        );
      }
    }
    const delay = plan.retryDelay + Math.floor(Math.random() * plan.retryJitter);
    return pause(Math.min(left, delay), plan.signal);
  }

  #failure(error: unknown): Error {
    const { signal, timeout } = this.#plan;
    if (signal?.aborted) return new LockAbortedError(this.#resources, signal.reason);
    if (!(error instanceof AttemptFailed)) return error as Error;
    const { round } = error;
    const details = {
      reason: round.reason(),
      holderTtl: round.heldTtl >= 0 ? round.heldTtl : undefined,
      validityRanOut: false,
    };
    if (timeout !== undefined && performance.now() >= this.#deadline) {
      return new LockTimeoutError(
        this.#resources,
        timeout,
        this.#attempts,
        round.outcomes(),
        details,
      );
    }
    return new LockAcquisitionError(this.#resources, this.#attempts, round.outcomes(), details);
  }
}

class AttemptFailed extends Error {
  readonly round: Round;
  constructor(round: Round) {
    super("quorum not reached");
    this.round = round;
  }
}

/** The limit a node records for held permits, when it is not this call's (a failed vote). */
function recordedLimit(round: Round): number | undefined {
  for (let i = 0; i < round.votes.length; i++) {
    const detail = round.details?.[i];
    if (round.votes[i] === Vote.Error && typeof detail === "string") {
      if (detail.startsWith(LIMIT_MISMATCH)) return Number(detail.slice(LIMIT_MISMATCH.length));
    }
  }
  return undefined;
}

/** Acquires permits; see {@link PermitAcquisition}. */
export function acquirePermit(ctx: LockContext, plan: PermitPlan): Promise<Permit> {
  return new PermitAcquisition(ctx, plan).run();
}
