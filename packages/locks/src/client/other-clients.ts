import type { RedisAdapter } from "./adapter.js";
import { adaptGlideClient, type GlideClient, isGlideClient } from "./glide.js";
import {
  adaptNodeRedisCluster,
  adaptNodeRedisSentinel,
  isNodeRedisCluster,
  isNodeRedisSentinel,
  type NodeRedisCluster,
  type NodeRedisSentinel,
} from "./node-redis-routed.js";
import {
  adaptIoRedisClient,
  adaptIoRedisMock,
  type IoRedisClient,
  isIoRedisClient,
  isIoRedisMock,
} from "./ioredis.js";

/** Clients of other libraries (and node-redis' cluster and sentinel) accepted as nodes. */
export type OtherClient = NodeRedisCluster | NodeRedisSentinel | IoRedisClient | GlideClient;

/**
 * An adapter for a caller's client that is not a plain node-redis client, recognised by its
 * shape; undefined for anything else. The caller keeps ownership: we never close it.
 */
export function adaptOtherClient(
  input: unknown,
  index: number,
  _graceMs: number,
): RedisAdapter | undefined {
  if (isNodeRedisCluster(input)) return adaptNodeRedisCluster(input, index);
  if (isNodeRedisSentinel(input)) return adaptNodeRedisSentinel(input, index);
  if (isIoRedisClient(input)) return adaptIoRedisClient(input, index);
  if (isIoRedisMock(input)) return adaptIoRedisMock(input, index);
  if (isGlideClient(input)) return adaptGlideClient(input, index);
  return undefined;
}

/** Whether adaptOtherClient() takes `input`; it builds nothing and touches nothing. */
export function isOtherClient(input: unknown): boolean {
  return (
    isNodeRedisCluster(input) ||
    isNodeRedisSentinel(input) ||
    isIoRedisClient(input) ||
    isIoRedisMock(input) ||
    isGlideClient(input)
  );
}
