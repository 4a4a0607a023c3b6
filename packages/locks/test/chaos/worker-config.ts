import type { RedlockOptions } from "../../src/index.js";

/** What the orchestrator tells each chaos worker (as JSON in its first argument). */
export interface WorkerConfig {
  readonly owner: string;
  /** The nodes, through their proxies. */
  readonly urls: readonly string[];
  /** The fenced store, reached directly: the nemesis never touches it. */
  readonly storeUrl: string;
  readonly resource: string;
  readonly ttl: number;
  /** Writes to the store per hold, each after checking the lock. */
  readonly writes: number;
  readonly log: string;
  readonly redlock: RedlockOptions;
}
