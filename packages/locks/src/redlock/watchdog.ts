import {
  LockError,
  LockExpiredError,
  LockHoldLimitError,
  LockOwnershipError,
} from "../errors/index.js";
import { QUIT_REASON } from "./held.js";
import { type Lock, markLost, onQuitOf } from "./lock.js";

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
 */
export class Watchdog {
  readonly #lock: Lock;
  readonly #ttl: number;
  readonly #threshold: number;
  readonly #onLost: (reason: LockError) => void;
  readonly #onExtended: (() => void) | undefined;
  readonly #caps: WatchdogCaps;
  readonly #startedAt = performance.now();
  readonly #controller = new AbortController();
  #extendTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #extensions = 0;
  readonly #unregister: () => void;

  /** @param onExtended `@internal` told of each extension (the manager's statistics count them). */
  constructor(
    lock: Lock,
    ttl: number,
    threshold: number,
    onLost: (reason: LockError) => void,
    onExtended?: () => void,
    caps: WatchdogCaps = NO_CAPS,
  ) {
    this.#lock = lock;
    this.#ttl = ttl;
    this.#threshold = threshold;
    this.#onLost = onLost;
    this.#onExtended = onExtended;
    this.#caps = caps;
    this.#unregister = onQuitOf(lock, () => {
      if (this.#stopped) return;
      this.stop();
      this.#controller.abort(new LockOwnershipError(lock.resources, [], QUIT_REASON));
    });
    this.#schedule();
  }

  /** Aborts when the lock is lost or a cap is reached; its reason is the LockError that says why. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops extending (the holder is done); the lock itself is left to the caller to release. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#extendTimer);
    clearTimeout(this.#expiryTimer);
    this.#unregister();
  }

  #schedule(): void {
    const remaining = this.#lock.remaining;
    if (remaining <= 0) {
      this.#lost(new LockExpiredError(this.#lock.resources, this.#lock.expiration));
      return;
    }
    // Extend at `threshold` before expiry, but never sooner than a third of the way in, so that
    // a threshold close to the ttl cannot turn into back-to-back extensions.
    const delay = Math.max(remaining - this.#threshold, remaining / 3);
    clearTimeout(this.#expiryTimer);
    this.#extendTimer = setTimeout(() => {
      this.#extend();
    }, delay).unref();
    this.#expiryTimer = setTimeout(() => {
      this.#lost(new LockExpiredError(this.#lock.resources, this.#lock.expiration));
    }, remaining).unref();
  }

  #extend(): void {
    const limit = this.#limitReached();
    if (limit !== undefined) {
      // Checked when an extension falls due rather than on a timer of its own: the routine is
      // told while the lock still has `threshold` ms of validity to wind down under it.
      this.stop();
      const value = this.#caps[limit] ?? 0;
      const { resources, expiration } = this.#lock;
      this.#controller.abort(
        new LockHoldLimitError(resources, limit, value, this.#extensions, expiration),
      );
      return;
    }
    this.#lock.extend(this.#ttl).then(
      () => {
        this.#extensions++;
        this.#onExtended?.();
        if (!this.#stopped) this.#schedule();
      },
      (error: unknown) => {
        this.#lost(
          error instanceof LockError ? error : new LockError(String(error), { cause: error }),
        );
      },
    );
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

  #lost(reason: LockError): void {
    if (this.#stopped || this.#controller.signal.aborted) return;
    this.stop();
    markLost(this.#lock, reason);
    this.#controller.abort(reason);
    this.#onLost(reason);
  }
}
