export type { RedisAdapter } from "./client/adapter.js";
export type { NodeInput } from "./client/nodes.js";
export type { NodeRedisClient } from "./client/node-redis.js";
export {
  type ConfigIssue,
  DeadlockError,
  LockAbortedError,
  LockAcquisitionError,
  LockConfigError,
  LockError,
  LockExpiredError,
  LockExtensionError,
  LockOwnershipError,
  LockReleaseError,
  LockTimeoutError,
  type NodeOutcome,
} from "./errors/index.js";
export type { Clock } from "./redlock/clock.js";
export { Lock } from "./redlock/lock.js";
export {
  type AcquireOptions,
  acquireOptionsSchema,
  type RedlockOptions,
  redlockOptionsSchema,
  type UsingOptions,
  usingOptionsSchema,
} from "./redlock/options.js";
export { Redlock, type RedlockEvents } from "./redlock/redlock.js";
export { clockDrift, quorumOf, validityLeft } from "./redlock/validity.js";
