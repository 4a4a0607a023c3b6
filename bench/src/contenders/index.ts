import type { ContenderFactory } from "./contender.js";
import { floorIoredis } from "./floor-ioredis.js";
import { floorNodeRedis } from "./floor-node-redis.js";
import { nodeRedlock } from "./node-redlock.js";
import { quorumLocks, quorumLocksFair, quorumLocksFenced } from "./quorum-locks.js";
import { redisSemaphore } from "./redis-semaphore.js";
import { redlockUniversal } from "./redlock-universal.js";
import { sesamecareRedlock } from "./sesamecare-redlock.js";

export type { Contender, ContenderFactory } from "./contender.js";

/** Every contender, ours first, floors last. */
export const contenders: Record<string, ContenderFactory> = {
  "quorum-locks": quorumLocks,
  "quorum-locks (fair)": quorumLocksFair,
  "quorum-locks (fenced)": quorumLocksFenced,
  "node-redlock": nodeRedlock,
  "@sesamecare-oss/redlock": sesamecareRedlock,
  "redis-semaphore": redisSemaphore,
  "redlock-universal": redlockUniversal,
  "raw node-redis (floor)": floorNodeRedis,
  "raw ioredis": floorIoredis,
};
