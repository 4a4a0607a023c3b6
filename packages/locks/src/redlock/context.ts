import type { RedisNode } from "../client/redis-node.js";
import type { Clock } from "./clock.js";
import type { AttemptGate } from "./gate.js";
import type { Lifecycle } from "./events.js";
import type { RestartQuarantine } from "./quarantine.js";

/** What the Redlock shares with its locks and rounds. */
export interface QuorumContext {
  readonly nodes: readonly RedisNode[];
  readonly quorum: number;
  /** Some node is a Redis Cluster (marker keys are per hash slot). */
  readonly clustered: boolean;
  readonly driftFactor: number;
  readonly commandTimeout: number;
  readonly clock: Clock;
  /** Lifecycle events: ask `observed()` before building a payload. */
  readonly events: Lifecycle;
  readonly restartQuarantine: RestartQuarantine;
  /** Bounds the acquisition attempts in flight (see AttemptGate). */
  readonly attempts: AttemptGate;
}
