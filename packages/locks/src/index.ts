export type { PubSubConnection, RedisAdapter } from "./client/adapter.js";
export type { NodeInput } from "./client/node-inputs.js";
export type { ClientOptions, NodeRedisClient } from "./client/node-redis.js";
export type { OtherClient } from "./client/other-clients.js";
export type { IoRedisClient } from "./client/ioredis.js";
export type { GlideClient } from "./client/glide.js";
export type {
  NodeRedisCluster,
  NodeRedisSentinel,
  RoutedClient,
} from "./client/node-redis-routed.js";
export {
  type AcquisitionDetails,
  type ConfigIssue,
  DeadlockError,
  type FailureReason,
  isQuorumLocksError,
  LockAbortedError,
  LockAcquisitionError,
  LockConfigError,
  LockError,
  type LockErrorCode,
  LockExpiredError,
  LockExtensionError,
  LockHoldLimitError,
  LockOwnershipError,
  LockReleaseError,
  LockTimeoutError,
  type NodeOutcome,
  SemaphoreLimitError,
} from "./errors/index.js";
export type { Clock } from "./redlock/clock.js";
export { Lock, type LockKind, type LockWire } from "./redlock/lock.js";
export { ReadWriteLock, type RwRoutine } from "./redlock/read-write/read-write-lock.js";
export {
  type ReadWriteLockOptions,
  readWriteLockOptionsSchema,
  type RwAcquireOptions,
  rwAcquireOptionsSchema,
  type RwUsingOptions,
  rwUsingOptionsSchema,
} from "./redlock/read-write/options.js";
export { Semaphore } from "./redlock/semaphore/semaphore.js";
export { Permit, type PermitWire } from "./redlock/semaphore/permit.js";
export {
  MAX_SEMAPHORE_LIMIT,
  type PermitOptions,
  permitOptionsSchema,
  type PermitUsingOptions,
  permitUsingOptionsSchema,
  type SemaphoreOptions,
  semaphoreOptionsSchema,
} from "./redlock/semaphore/options.js";
export {
  type AcquireOptions,
  acquireOptionsSchema,
  type RedlockOptions,
  redlockOptionsSchema,
  type ResolvedRedlockOptions,
  type UsingOptions,
  usingOptionsSchema,
} from "./redlock/options.js";
export { type NodeState, Redlock, type RedlockEvents } from "./redlock/redlock.js";
export {
  type AcquiredEvent,
  type AcquireFailedEvent,
  type AcquireFailure,
  diagnosticsChannels,
  type ExtendedEvent,
  type ExtendFailedEvent,
  type LifecycleEventName,
  type LifecycleEvents,
  LOCK_ID_LENGTH,
  type LockEventBase,
  type LostEvent,
  type NodeDownEvent,
  type NodeRestartedEvent,
  type NodeUpEvent,
  type ReleasedEvent,
  type ReleaseFailedEvent,
} from "./redlock/events.js";
export { clockDrift, quorumOf, validityLeft } from "./redlock/validity.js";
export { type CacheListener, MemoryCacheStore } from "./cache/memory-store.js";
export { RedisCacheStore, type RedisCacheStoreOptions } from "./cache/redis-store.js";
export { jsonSerializer, type Serializer } from "./cache/serializer.js";
export type { CacheCounters, Fetcher } from "./cache/stampede.js";
export type { CacheEntry, CacheNotice, CacheStore, CacheWrite } from "./cache/store.js";
export { CacheFetchError, CacheTimeoutError, CacheValueError } from "./cache/errors.js";
export {
  cacheStampedeProtect,
  distributedLock,
  type ManagerChoice,
  oncePerFire,
  readLock,
  withPermit,
  writeLock,
} from "./decorators/decorators.js";
export { bindLockManager } from "./decorators/bound-manager.js";
export type { KeySpec } from "./decorators/key-template.js";
export type { DualMethodDecorator } from "./decorators/method-decorator.js";
export { closeLocks, configureLocks, defaultManager, getLock } from "./manager/default-manager.js";
export { nodesFromEnv } from "./manager/env-config.js";
export type { HealthReport, NodeHealth } from "./manager/health.js";
export { LockHandle } from "./manager/lock-handle.js";
export type { LockInfo } from "./manager/lock-info.js";
export { LockManager, type LockManagerEvents, type ScopedRoutine } from "./manager/lock-manager.js";
export {
  type CacheOptions,
  cacheOptionsSchema,
  type CacheWriteOptions,
  cacheWriteOptionsSchema,
  type GetLockOptions,
  getLockOptionsSchema,
  type GetSemaphoreOptions,
  getSemaphoreOptionsSchema,
  type LockManagerOptions,
  lockManagerOptionsSchema,
  type ResolvedManagerOptions,
  type TryLockOptions,
  tryLockOptionsSchema,
  type WithLockOptions,
  withLockOptionsSchema,
  type WithPermitOptions,
  withPermitOptionsSchema,
  type WithReadWriteLockOptions,
  withReadWriteLockOptionsSchema,
} from "./manager/options.js";
export {
  type RunOnceContext,
  type RunOnceOptions,
  runOnceOptionsSchema,
  type RunOnceResult,
  type RunOnceRoutine,
} from "./manager/run-once.js";
export type {
  HoldKind,
  KindCounters,
  LockCounters,
  ManagerStatistics,
  NodeStatistics,
} from "./manager/statistics.js";
export type { WaitSummary } from "./manager/wait-histogram.js";
