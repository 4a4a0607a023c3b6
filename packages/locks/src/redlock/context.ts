import type { RedisNode } from "../client/redis-node.js";
import type { LockError } from "../errors/index.js";
import type { Clock } from "./clock.js";
import type { Lock } from "./lock.js";

/** What the Redlock shares with its locks and rounds. */
export interface QuorumContext {
  readonly nodes: readonly RedisNode[];
  readonly quorum: number;
  readonly driftFactor: number;
  readonly commandTimeout: number;
  readonly clock: Clock;
  /** A lock disposed with `await using` could not be released; disposal never throws. */
  onDisposeError(lock: Lock, error: LockError): void;
}
