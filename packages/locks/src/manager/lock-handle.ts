import { LockError, LockExpiredError, LockOwnershipError } from "../errors/index.js";
import { type Lock, onQuitOf } from "../redlock/lock.js";
import { QUIT_REASON } from "../redlock/held.js";
import { ttlMilliseconds } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import type { Watchdog } from "../redlock/watchdog.js";
import { timerDelay } from "../redlock/timer.js";

/** What a handle tells its manager. */
export interface HandleHooks {
  extended(handle: LockHandle, lock: Lock, ttl: number): void;
  released(handle: LockHandle, lock: Lock): void;
  disposeFailed(handle: LockHandle, error: LockError): void;
}

/** How a handle holds its lock. */
export type Holding =
  /** Acquired by this handle; released by it. */
  | { readonly kind: "own"; readonly lock: Lock; readonly watchdog: Watchdog | undefined }
  /** Re-entered: the outer holder's lock, released by the outer holder only. */
  | { readonly kind: "nested"; readonly lock: Lock }
  /** Not had (returnStale): carries the cached value of the name instead. */
  | { readonly kind: "none"; readonly stale: unknown };

const extraSchema = ttlMilliseconds();
const notHeld = new LockError("this handle does not hold the lock");

// Set by LockHandle's static block: the constructor stays out of the public surface (its types
// are internals), yet the manager reaches it.
let construct: (resource: string, holding: Holding, hooks: HandleHooks) => LockHandle;

/** Makes a handle (LockManager, for each getLock). */
export function createHandle(resource: string, holding: Holding, hooks: HandleHooks): LockHandle {
  return construct(resource, holding, hooks);
}

/**
 * What LockManager.getLock() returns: the lock while it is held, or, with `returnStale`, the
 * last cached value of the name when the lock could not be had. Disposing it (`await using`)
 * releases the lock.
 */
export class LockHandle implements AsyncDisposable {
  static {
    construct = (resource, holding, hooks) => new LockHandle(resource, holding, hooks);
  }
  /** The lock's name, as given to getLock(). */
  readonly resource: string;
  readonly #holding: Holding;
  readonly #hooks: HandleHooks;
  readonly #signal: AbortSignal;
  #expiryTimer: NodeJS.Timeout | undefined;
  #unregisterQuit: (() => void) | undefined;
  #released = false;

  private constructor(resource: string, holding: Holding, hooks: HandleHooks) {
    this.resource = resource;
    this.#holding = holding;
    this.#hooks = hooks;
    if (holding.kind === "none") {
      this.#signal = AbortSignal.abort(notHeld);
    } else if (holding.kind === "own" && holding.watchdog !== undefined) {
      this.#signal = holding.watchdog.signal;
    } else {
      const controller = new AbortController();
      this.#signal = controller.signal;
      this.#watchExpiry(holding.lock, controller);
    }
  }

  /** True only while the lock is held and valid: a lost or expired lock is never reported as held. */
  hasLock(): boolean {
    return !this.#released && this.#holding.kind !== "none" && this.#holding.lock.isHeld();
  }

  /**
   * With `returnStale` and the lock not had: the last value cached under the lock's name (within
   * `staleTtl`), or undefined. Always undefined when the lock was had.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names what it cached
  getStaleData<T = unknown>(): T | undefined {
    return this.#holding.kind === "none" ? (this.#holding.stale as T | undefined) : undefined;
  }

  /** This owner's token while the lock is held; undefined otherwise. */
  get value(): string | undefined {
    return this.hasLock() ? this.#lock?.value : undefined;
  }

  /**
   * The lock's fencing token while it is held, when it was taken with `fencing: true`; undefined
   * otherwise. See Lock.fencingToken.
   */
  get fencingToken(): bigint | undefined {
    return this.hasLock() ? this.#lock?.fencingToken : undefined;
  }

  /** Epoch ms until which the lock is valid, while it is held; undefined otherwise. */
  get expiration(): number | undefined {
    return this.hasLock() ? this.#lock?.expiration : undefined;
  }

  /**
   * Aborts when the lock is lost or its validity runs out (with the LockError that says why);
   * already aborted on a handle that never had the lock. Pass it to the work the lock protects.
   */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /**
   * Keeps the lock `ms` longer than it would have lasted: its remaining validity plus `ms`, on a
   * quorum. Rejects like Lock.extend(), and with LockOwnershipError when the handle holds no lock.
   */
  async extendLock(ms: number): Promise<void> {
    const extra = parseOrThrow(extraSchema, ms, "ms");
    const lock = this.#lock;
    if (lock === undefined || this.#released) {
      throw new LockOwnershipError([this.resource], [], "this handle does not hold the lock");
    }
    if (!lock.isHeld()) throw new LockExpiredError(lock.resources, lock.expiration);
    const ttl = Math.ceil(lock.remaining) + extra;
    await lock.extend(ttl);
    this.#hooks.extended(this, lock, ttl);
  }

  /**
   * Releases the lock. A re-entered (nested) handle leaves it to the outer holder; a handle
   * without the lock does nothing; releasing twice is a no-op.
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#expiryTimer);
    this.#unregisterQuit?.();
    if (this.#holding.kind !== "own") return;
    this.#holding.watchdog?.stop();
    const lock = this.#holding.lock;
    try {
      await lock.release();
    } finally {
      this.#hooks.released(this, lock);
    }
  }

  /** Releases at the end of an `await using` scope; failures go to the manager's `releaseError` event. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (error) {
      this.#hooks.disposeFailed(
        this,
        error instanceof LockError ? error : new LockError(String(error), { cause: error }),
      );
    }
  }

  get #lock(): Lock | undefined {
    return this.#holding.kind === "none" ? undefined : this.#holding.lock;
  }

  /** Aborts the signal once validity runs out; looks again when the lock was extended meanwhile. */
  #watchExpiry(lock: Lock, controller: AbortController): void {
    const check = () => {
      if (this.#released) return;
      if (lock.isHeld()) {
        this.#expiryTimer = setTimeout(check, timerDelay(Math.max(1, lock.remaining))).unref();
      } else {
        this.#unregisterQuit?.();
        controller.abort(new LockExpiredError(lock.resources, lock.expiration));
      }
    };
    this.#expiryTimer = setTimeout(check, timerDelay(Math.max(1, lock.remaining))).unref();
    // The Redlock's quit() releases the lock: the work it protects must stop now, not at expiry.
    this.#unregisterQuit = onQuitOf(lock, () => {
      clearTimeout(this.#expiryTimer);
      controller.abort(new LockOwnershipError(lock.resources, [], QUIT_REASON));
    });
  }
}
