import pRetry from "p-retry";
import { evalshaArgs } from "../client/redis-node.js";
import { LockAbortedError, LockAcquisitionError, LockTimeoutError } from "../errors/index.js";
import { scripts } from "../scripts/index.js";
import type { QuorumContext } from "./context.js";
import { Lock } from "./lock.js";
import { readAcquire, readCount } from "./replies.js";
import { Round } from "./round.js";
import { newToken } from "./token.js";
import { clockDrift } from "./validity.js";

/** One acquisition, with options already validated and defaults applied. */
export interface AcquirePlan {
  readonly resources: readonly string[];
  readonly ttl: number;
  readonly retryCount: number;
  readonly retryDelay: number;
  readonly retryJitter: number;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A failed attempt; p-retry retries on it. Carries the round for the final error. */
class AttemptFailed extends Error {
  readonly round: Round;
  constructor(round: Round) {
    super("quorum not reached");
    this.round = round;
  }
}

/**
 * Deletes our token wherever the attempt may have set it, including nodes whose reply was lost
 * or came too late. Not awaited: a node's commands run in order on its connection, so this
 * release always lands after the acquire it undoes, and before the next attempt's.
 */
function rollback(ctx: QuorumContext, plan: AcquirePlan, token: string, round: Round): void {
  const mask = round.mayHold();
  if (!mask.includes(true)) return;
  const args = evalshaArgs(scripts.release, plan.resources, [token]);
  void new Round(ctx, scripts.release, args, readCount, {
    mask,
    skipUnresponsive: false,
    earlyFailure: false,
  }).done;
}

/** Waits `ms`, or rejects with the signal's reason the moment it aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Redlock's acquisition: attempt on every node at once, keep the lock only with a quorum and
 * positive validity (ttl − elapsed − drift, on the monotonic clock, from this attempt's start),
 * otherwise roll back and retry after retryDelay plus jitter. p-retry counts the retries and
 * enforces the timeout; the wait itself is ours so that it can be cut short by the deadline or
 * the signal.
 */
export async function acquireLock(ctx: QuorumContext, plan: AcquirePlan): Promise<Lock> {
  const { resources, ttl, signal } = plan;
  if (signal?.aborted) throw new LockAbortedError(resources, signal.reason);
  const token = newToken();
  const args = evalshaArgs(scripts.acquire, resources, [token, String(ttl)]);
  const drift = clockDrift(ttl, ctx.driftFactor);
  const startedAt = performance.now();
  const deadline = plan.timeout === undefined ? Infinity : startedAt + plan.timeout;
  let attempts = 0;

  const attempt = async (): Promise<Lock> => {
    if (signal?.aborted) throw signal.reason as Error;
    attempts++;
    const attemptStart = ctx.clock.monotonic();
    const round = await new Round(ctx, scripts.acquire, args, readAcquire, {
      mask: undefined,
      skipUnresponsive: true,
      earlyFailure: true,
    }).done;
    if (round.granted >= ctx.quorum) {
      const validUntil = attemptStart + ttl - drift;
      if (validUntil > ctx.clock.monotonic()) {
        return new Lock(ctx, resources, token, attempts, round.mayHold(), validUntil);
      }
    }
    rollback(ctx, plan, token, round);
    throw new AttemptFailed(round);
  };

  const run = pRetry(attempt, {
    retries: plan.retryCount === -1 ? Infinity : plan.retryCount,
    minTimeout: 0,
    factor: 1,
    maxRetryTime: plan.timeout ?? Infinity,
    shouldRetry: ({ error }) => error instanceof AttemptFailed,
    onFailedAttempt: async ({ retriesLeft }) => {
      if (retriesLeft <= 0) return;
      const wait = plan.retryDelay + Math.floor(Math.random() * plan.retryJitter);
      const left = deadline - performance.now();
      if (left > 0) await pause(Math.min(wait, left), signal);
    },
    // No `signal` here: p-retry would drop a lock won by an attempt in flight when the signal
    // aborts, leaking it until its ttl. The pause rejects on abort, and the wrapper below
    // releases such a lock.
  });

  const failure = (error: unknown): Error => {
    if (signal?.aborted) return new LockAbortedError(resources, signal.reason);
    if (!(error instanceof AttemptFailed)) return error as Error;
    const outcomes = error.round.outcomes();
    if (plan.timeout !== undefined && performance.now() >= deadline) {
      return new LockTimeoutError(resources, plan.timeout, attempts, outcomes);
    }
    return new LockAcquisitionError(resources, attempts, outcomes);
  };

  if (signal === undefined) {
    return run.catch((error: unknown) => {
      throw failure(error);
    });
  }
  return new Promise<Lock>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      settled = true;
      reject(new LockAbortedError(resources, signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    run.then(
      (lock) => {
        signal.removeEventListener("abort", onAbort);
        // Aborted while the winning attempt was in flight: hand the lock straight back.
        if (settled) lock.release().catch(() => undefined);
        else resolve(lock);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        if (!settled) reject(failure(error));
      },
    );
  });
}
