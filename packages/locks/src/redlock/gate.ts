/**
 * At most `limit` acquisition attempts of one Redlock in flight; the others start, in order, as
 * those end. A burst of ten thousand acquisitions started in one tick sends fifty thousand
 * scripts at once: their replies take longer to read than a `commandTimeout`, healthy nodes
 * are judged timed out, and waiters that saw no holder retry into the same flood. An attempt's
 * clock (its validity, its timeout) starts when it leaves the gate, so waiting here costs it
 * nothing but the wait; a round trip per `limit` attempts is the most the burst then takes.
 */
export class AttemptGate {
  readonly #limit: number;
  #inFlight = 0;
  readonly #queue: (() => void)[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Runs `attempt` now when below the limit, else once an earlier attempt ended. */
  run<T>(attempt: () => Promise<T>): Promise<T> {
    if (this.#inFlight < this.#limit) return this.#start(attempt);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        this.#start(attempt).then(resolve, reject);
      });
    });
  }

  #start<T>(attempt: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    let running: Promise<T>;
    try {
      running = attempt();
    } catch (error) {
      this.#end();
      return Promise.reject(error);
    }
    running.then(this.#end, this.#end);
    return running;
  }

  readonly #end = (): void => {
    this.#inFlight--;
    if (this.#head === this.#queue.length) return;
    const next = this.#queue[this.#head] as () => void;
    this.#queue[this.#head++] = noop;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    next();
  };
}

function noop(): void {
  // A slot already started.
}
