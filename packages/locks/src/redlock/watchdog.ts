import { LockError, LockExpiredError } from "../errors/index.js";
import type { Lock } from "./lock.js";

/**
 * Keeps a lock alive while its holder runs: extends it by `ttl` when `threshold` ms of validity
 * are left, and the moment an extension fails or validity runs out, marks the lock lost and
 * aborts `signal`. Nothing here throws from a timer: failures become the abort reason and the
 * `onLost` callback.
 */
export class Watchdog {
  readonly #lock: Lock;
  readonly #ttl: number;
  readonly #threshold: number;
  readonly #onLost: (reason: LockError) => void;
  readonly #onExtended: (() => void) | undefined;
  readonly #controller = new AbortController();
  #extendTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** @param onExtended `@internal` told of each extension (the manager's statistics count them). */
  constructor(
    lock: Lock,
    ttl: number,
    threshold: number,
    onLost: (reason: LockError) => void,
    onExtended?: () => void,
  ) {
    this.#lock = lock;
    this.#ttl = ttl;
    this.#threshold = threshold;
    this.#onLost = onLost;
    this.#onExtended = onExtended;
    this.#schedule();
  }

  /** Aborts when the lock is lost; its reason is the LockError that says why. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops extending (the holder is done); the lock itself is left to the caller to release. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#extendTimer);
    clearTimeout(this.#expiryTimer);
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
    this.#lock.extend(this.#ttl).then(
      () => {
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

  #lost(reason: LockError): void {
    if (this.#stopped || this.#controller.signal.aborted) return;
    this.stop();
    this.#lock.markLost(reason);
    this.#controller.abort(reason);
    this.#onLost(reason);
  }
}
