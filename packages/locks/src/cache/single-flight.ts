/**
 * In-process sharing of one refresh per key: callers that arrive while a refresh runs join its
 * promise instead of starting another. Each caller keeps its own timeout and signal (see
 * {@link detachable}); the shared work only stops trying once every caller's deadline passed.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** The flight under `key`, started with `start` when there is none; `deadline` extends it. */
  join(key: string, deadline: number, start: (flight: Flight<T>) => Promise<T>): Flight<T> {
    const running = this.#flights.get(key);
    if (running !== undefined) {
      running.deadline = Math.max(running.deadline, deadline);
      return running;
    }
    const flight = new Flight<T>(deadline);
    this.#flights.set(key, flight);
    flight.promise = start(flight).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    return flight;
  }

  /** Resolves once every flight under way now has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#flights.values()].map((f) => f.promise));
  }

  /** Keys with a flight under way. */
  get size(): number {
    return this.#flights.size;
  }
}

/** One shared refresh. `deadline` (performance.now() ms) is the latest of its callers'. */
export class Flight<T> {
  deadline: number;
  promise!: Promise<T>;
  constructor(deadline: number) {
    this.deadline = deadline;
  }
}

/**
 * Waits for `shared` on behalf of one caller: rejects with `onTimeout()` after `timeout` ms or
 * with `onAbort(reason)` when `signal` aborts, without touching the shared promise.
 */
export function detachable<T>(
  shared: Promise<T>,
  timeout: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
  onAbort: (reason: unknown) => Error,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(onAbort(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    };
    const abort = () => {
      finish();
      reject(onAbort(signal?.reason));
    };
    const timer = setTimeout(() => {
      finish();
      reject(onTimeout());
    }, timeout);
    signal?.addEventListener("abort", abort, { once: true });
    shared.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}
