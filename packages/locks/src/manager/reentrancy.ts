import { AsyncLocalStorage } from "node:async_hooks";
import type { Lock } from "../redlock/lock.js";

// One storage for every manager: the held names of the current async context, keyed by
// manager and name. A scope never changes its map; a nested scope gets a copy with one more
// name, so sibling tasks started inside a scope see what their parents hold, never each other.
// A name held without a lock object (a degraded stampede refresh) maps to null; a semaphore's
// name maps to how many of its permits the context holds (its nested withPermit calls add up).
type Hold = Lock | number | null;
const storage = new AsyncLocalStorage<ReadonlyMap<string, Hold>>();
let nextId = 0;

// While any storage is enabled, Node 20 runs a hook on every promise in the process (a few
// microseconds each: a thousand stampede callers pay milliseconds). So the storage is turned
// off whenever no scope is running; a task a scope left behind then holds nothing, as it
// should, since the scope's lock is gone.
let scopes = 0;
const leaveScope = (): void => {
  if (--scopes === 0) storage.disable();
};

/**
 * Which lock names the current async context holds through a scoped acquisition (withLock,
 * the decorators, a stampede refresh). Acquiring one of them again would wait for itself.
 */
export class Reentrancy {
  readonly #prefix = `${nextId++}\u0000`;

  /** Whether the current async context holds `name`. */
  holds(name: string): boolean {
    return storage.getStore()?.has(this.#prefix + name) ?? false;
  }

  /** The lock through which the current async context holds `name`, if it has one. */
  lockOf(name: string): Lock | undefined {
    const hold = storage.getStore()?.get(this.#prefix + name);
    return typeof hold === "object" && hold !== null ? hold : undefined;
  }

  /** How many permits of the semaphore `name` the current async context holds. */
  permitsOf(name: string): number {
    const hold = storage.getStore()?.get(this.#prefix + name);
    return typeof hold === "number" ? hold : 0;
  }

  /**
   * Runs `fn` in an async context that holds `name` (through `lock`, when there is one; or a
   * number of a semaphore's permits).
   */
  run<T>(name: string, lock: Hold, fn: () => Promise<T>): Promise<T> {
    const next = new Map(storage.getStore());
    next.set(this.#prefix + name, lock);
    scopes++;
    let running: Promise<T>;
    try {
      running = storage.run(next, fn);
    } catch (error) {
      leaveScope();
      throw error;
    }
    return running.finally(leaveScope);
  }
}
