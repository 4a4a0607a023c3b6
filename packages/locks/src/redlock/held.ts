/** Why a watchdog's signal aborts when its Redlock quits (the LockOwnershipError's reason). */
export const QUIT_REASON = "its Redlock quit, which released it";

/**
 * A live hold that a Redlock's quit() releases: a lock, and (through the same registry) a
 * semaphore's permit or a read or write hold. Lock-like: `isHeld()` turns false for good once
 * its validity ran out, and `release()` is idempotent.
 */
export interface Releasable {
  isHeld(): boolean;
  release(): Promise<void>;
}

/** Holds below this many are never swept (a sweep would cost more than it frees). */
const SWEEP_FLOOR = 256;

/**
 * The holds a Redlock still has, for quit(). A hold adds itself when made and removes itself
 * when released or lost; those let expire unreleased are swept whenever the set doubled.
 */
export class HeldRegistry {
  readonly #holds = new Set<Releasable>();
  readonly #stoppers = new Set<() => void>();
  #sweepAt = SWEEP_FLOOR;

  /** How many holds are registered (expired ones not yet swept included). */
  get size(): number {
    return this.#holds.size;
  }

  add(hold: Releasable): void {
    this.#holds.add(hold);
    if (this.#holds.size >= this.#sweepAt) {
      for (const h of this.#holds) if (!h.isHeld()) this.#holds.delete(h);
      this.#sweepAt = Math.max(SWEEP_FLOOR, this.#holds.size * 2);
    }
  }

  delete(hold: Releasable): void {
    this.#holds.delete(hold);
  }

  /**
   * Calls `stop` when quit() begins, before anything is released: a watchdog stops extending
   * and aborts its routine's signal (with a LockOwnershipError whose reason is
   * {@link QUIT_REASON}). Returns the function that unregisters it.
   */
  onQuit(stop: () => void): () => void {
    this.#stoppers.add(stop);
    return () => this.#stoppers.delete(stop);
  }

  /**
   * Stops the watchdogs, then releases what is still held, all at once; resolves when all are
   * settled or after `timeout` ms (a dead node must not hold up a shutdown). Never rejects.
   */
  async releaseAll(timeout: number): Promise<void> {
    const stoppers = [...this.#stoppers];
    this.#stoppers.clear();
    for (const stop of stoppers) {
      try {
        stop();
      } catch {
        // Nothing may keep quit() from closing.
      }
    }
    const holds = [...this.#holds].filter((h) => h.isHeld());
    this.#holds.clear();
    if (holds.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    const released = Promise.allSettled(
      holds.map((h) => {
        try {
          return h.release();
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    try {
      await Promise.race([released, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
