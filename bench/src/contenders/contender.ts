/** One lock library (or raw client floor) under benchmark, over the same nodes. */
export interface Contender {
  readonly name: string;
  /** Package and version, for the report. */
  readonly version: string;
  /**
   * Acquires `key` for `ttl` ms, waiting with the library's own retry mechanism for up to about
   * `waitMs`; resolves with a function that releases it.
   */
  acquire(key: string, ttl: number, waitMs: number): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type ContenderFactory = (urls: readonly string[]) => Promise<Contender>;
