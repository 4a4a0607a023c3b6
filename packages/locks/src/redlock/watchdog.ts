import {
  LockError,
  LockExpiredError,
  LockHoldLimitError,
  LockOwnershipError,
} from "../errors/index.js";
import { QUIT_REASON } from "./held.js";
import { type Lock, lockFlavour, lockRenewal, markLost, onQuitOf } from "./lock.js";
import type { RenewalHandle, RenewalListener } from "./renewal.js";

/** Caps on how long a watchdog keeps its lock; an unset cap does not apply. */
export interface WatchdogCaps {
  /** Extensions at most. */
  readonly maxExtensions?: number | undefined;
  /** Milliseconds from the watchdog's start past which no extension may keep the lock. */
  readonly maxHoldTime?: number | undefined;
}

const NO_CAPS: WatchdogCaps = {};

/**
 * The extension threshold of `using()` when none is given: a third of the ttl, at most 500 ms.
 * Extending with a third of the validity left leaves that third for the extension's round trip
 * (and for event-loop lag) before expiry, whatever the ttl: 100 ms for a 300 ms lock, 16 ms for
 * a 50 ms one, which is all a lock that short can spare. From a 1.5 s ttl up it is 500 ms, the
 * threshold node-redlock uses, so longer locks are extended as they always were.
 */
export function defaultExtensionThreshold(ttl: number): number {
  return Math.min(500, ttl / 3);
}

/**
 * Keeps a lock alive while its holder runs: extends it by `ttl` when `threshold` ms of validity
 * are left, and the moment an extension fails or validity runs out, marks the lock lost and
 * aborts `signal`. Nothing here throws from a timer: failures become the abort reason and the
 * `onLost` callback. When a cap is reached (see {@link WatchdogCaps}), it stops extending and
 * aborts `signal` with a LockHoldLimitError instead; the lock is not lost then, so `onLost` is
 * not called. When the lock's Redlock quits, it stops and aborts `signal` with the quit's
 * LockOwnershipError (quit() then releases the lock); `onLost` is not called either.
 *
 * The extensions themselves are the Redlock's renewal scheduler's (renewal.ts): one timer for
 * every watchdog, and locks due together extended in one script call per node.
 */
export class Watchdog implements RenewalListener {
  readonly #lock: Lock;
  readonly #ttl: number;
  readonly #onLost: (reason: LockError) => void;
  readonly #onExtended: ((healed: boolean) => void) | undefined;
  readonly #caps: WatchdogCaps;
  readonly #startedAt = performance.now();
  readonly #controller = new AbortController();
  readonly #renewal: RenewalHandle;
  #stopped = false;
  #extensions = 0;
  readonly #unregister: () => void;

  /**
   * @param onExtended `@internal` told of each extension (the manager's statistics count them;
   *   `healed`: some node had lost the keys and has them again).
   * @param companions `@internal` keys kept beside the lock that each extension gives the same
   *   ttl (the manager's lock info).
   */
  constructor(
    lock: Lock,
    ttl: number,
    threshold: number,
    onLost: (reason: LockError) => void,
    onExtended?: (healed: boolean) => void,
    caps: WatchdogCaps = NO_CAPS,
    companions?: readonly string[],
  ) {
    this.#lock = lock;
    this.#ttl = ttl;
    this.#onLost = onLost;
    this.#onExtended = onExtended;
    this.#caps = caps;
    this.#unregister = onQuitOf(lock, () => {
      if (this.#stopped) return;
      this.stop();
      this.#controller.abort(new LockOwnershipError(lock.resources, [], QUIT_REASON));
    });
    const renewal = lockRenewal(lock);
    this.#renewal = renewal.ctx.renewals.keep(
      {
        keys: lock.resources,
        token: lock.value,
        ttl,
        minReplicas: renewal.minReplicas,
        companions,
        remaining: () => lock.remaining,
        begin: (startedAt) => {
          renewal.begin(ttl, startedAt);
        },
        settle: (startedAt, tally) => {
          renewal.settle(ttl, startedAt, tally);
        },
        // A read-write lease is not a mutex's keys: extended on its own, by its own script.
        alone:
          lockFlavour(lock)?.extend === undefined
            ? undefined
            : () => lock.extend(ttl).then(() => false),
      },
      threshold,
      this,
    );
  }

  /** Aborts when the lock is lost or a cap is reached; its reason is the LockError that says why. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops extending (the holder is done); the lock itself is left to the caller to release. */
  stop(): void {
    this.#stopped = true;
    // Unset only while the constructor's keep() loses an already expired lock.
    (this.#renewal as RenewalHandle | undefined)?.stop();
    this.#unregister();
  }

  /** @internal RenewalListener: the extension falls due; a reached cap stops it instead. */
  due(): boolean {
    if (this.#stopped) return false;
    const limit = this.#limitReached();
    if (limit === undefined) return true;
    // Checked when an extension falls due rather than on a timer of its own: the routine is
    // told while the lock still has `threshold` ms of validity to wind down under it.
    this.stop();
    const value = this.#caps[limit] ?? 0;
    const { resources, expiration } = this.#lock;
    this.#controller.abort(
      new LockHoldLimitError(resources, limit, value, this.#extensions, expiration),
    );
    return false;
  }

  /** @internal RenewalListener. */
  extended(healed: boolean): void {
    this.#extensions++;
    this.#onExtended?.(healed);
  }

  /** @internal RenewalListener: validity ran out (no reason), or an extension failed. */
  lost(reason: LockError | undefined): void {
    if (this.#stopped || this.#controller.signal.aborted) return;
    this.stop();
    const error =
      reason === undefined
        ? new LockExpiredError(this.#lock.resources, this.#lock.expiration)
        : reason instanceof LockError
          ? reason
          : new LockError(String(reason), { cause: reason });
    markLost(this.#lock, error);
    this.#controller.abort(error);
    this.#onLost(error);
  }

  /** The cap the extension now due would break, if any. */
  #limitReached(): keyof WatchdogCaps | undefined {
    const { maxExtensions, maxHoldTime } = this.#caps;
    if (maxExtensions !== undefined && this.#extensions >= maxExtensions) return "maxExtensions";
    // An extension keeps the lock up to `ttl` from now: refused if that would outlast the cap,
    // so that the lock is never held past maxHoldTime (a longer first ttl aside).
    if (
      maxHoldTime !== undefined &&
      performance.now() - this.#startedAt + this.#ttl > maxHoldTime
    ) {
      return "maxHoldTime";
    }
    return undefined;
  }
}
