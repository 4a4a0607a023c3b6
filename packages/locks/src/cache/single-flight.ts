/**
 * In-process sharing of one refresh per key: callers that arrive while a refresh runs join its
 * promise instead of starting another. Each caller keeps its own timeout and signal (see
 * {@link Flight.wait}); the shared work only stops trying once every caller's deadline passed.
 *
 * `C` is what a caller hands in to describe itself (its plan); `errors` turns it into the error
 * a caller gets when its own timeout passes or its signal aborts.
 */
export class SingleFlight<T, C> {
  readonly #flights = new Map<string, Flight<T, C>>();
  readonly #errors: FlightErrors<C>;

  constructor(errors: FlightErrors<C>) {
    this.#errors = errors;
  }

  /** The flight under way under `key`, if any; `deadline` extends it. */
  find(key: string, deadline: number): Flight<T, C> | undefined {
    const running = this.#flights.get(key);
    if (running !== undefined) running.deadline = Math.max(running.deadline, deadline);
    return running;
  }

  /** Starts a flight under `key` (there is none): `run` does the shared work. */
  start(key: string, deadline: number, run: (flight: Flight<T, C>) => Promise<T>): Flight<T, C> {
    const flight = new Flight<T, C>(deadline, this.#errors);
    this.#flights.set(key, flight);
    flight.run(
      run(flight).finally(() => {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      }),
    );
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

/** How a caller of a flight is told that its own wait ended. */
export interface FlightErrors<C> {
  timeout(caller: C): Error;
  abort(caller: C, reason: unknown): Error;
}

interface Waiter<T, C> {
  readonly caller: C;
  readonly deadline: number;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  stopListening: (() => void) | undefined;
}

/**
 * One shared refresh. `deadline` (performance.now() ms) is the latest of its callers'.
 *
 * Its callers wait in one list under one timer (set for the earliest deadline), not one timer and
 * a handful of closures each: a burst of a thousand callers on a cold key allocated enough per
 * caller to set off a scavenge in the middle of the burst.
 */
export class Flight<T, C> {
  deadline: number;
  promise!: Promise<T>;
  readonly #errors: FlightErrors<C>;
  readonly #waiters = new Set<Waiter<T, C>>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  constructor(deadline: number, errors: FlightErrors<C>) {
    this.deadline = deadline;
    this.#errors = errors;
  }

  /** @internal Attaches the shared work. */
  run(promise: Promise<T>): void {
    this.promise = promise;
    promise.then(
      (value) => {
        this.#settle((w) => {
          w.resolve(value);
        });
      },
      (error: unknown) => {
        this.#settle((w) => {
          w.reject(error);
        });
      },
    );
  }

  /**
   * Waits for the shared result on behalf of one caller: rejects with the caller's timeout error
   * at `deadline` or its abort error when `signal` aborts, without touching the shared work.
   */
  wait(caller: C, deadline: number, signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted) return Promise.reject(this.#errors.abort(caller, signal.reason));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T, C> = { caller, deadline, resolve, reject, stopListening: undefined };
      this.#waiters.add(waiter);
      if (signal !== undefined) {
        const abort = () => {
          this.#leave(waiter);
          reject(this.#errors.abort(caller, signal.reason));
        };
        signal.addEventListener("abort", abort, { once: true });
        waiter.stopListening = () => {
          signal.removeEventListener("abort", abort);
        };
      }
      if (deadline < this.#timerAt) this.#arm(deadline);
    });
  }

  #settle(tell: (waiter: Waiter<T, C>) => void): void {
    this.#disarm();
    for (const waiter of this.#waiters) {
      waiter.stopListening?.();
      tell(waiter);
    }
    this.#waiters.clear();
  }

  #leave(waiter: Waiter<T, C>): void {
    this.#waiters.delete(waiter);
    if (this.#waiters.size === 0) this.#disarm();
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#expire, Math.max(0, at - performance.now()));
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Rejects the callers whose deadline passed, then waits for the next one's. */
  readonly #expire = (): void => {
    const now = performance.now();
    let next = Infinity;
    const expired: Waiter<T, C>[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.deadline <= now) expired.push(waiter);
      else if (waiter.deadline < next) next = waiter.deadline;
    }
    // Earliest deadline first, even when a stalled event loop finds several due at once.
    expired.sort((a, b) => a.deadline - b.deadline);
    for (const waiter of expired) {
      this.#waiters.delete(waiter);
      waiter.stopListening?.();
      waiter.reject(this.#errors.timeout(waiter.caller));
    }
    this.#timerAt = Infinity;
    this.#timer = undefined;
    if (next < Infinity) this.#arm(next);
  };
}
