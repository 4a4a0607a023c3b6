/**
 * `quorum-locks/testing`: fake Redis servers in memory, so that code taking locks (Redlock,
 * LockManager, the decorators, the cache-stampede layer) can be unit-tested without Redis.
 * A test double, never for production. It runs the library's own Lua scripts through a Lua
 * interpreter (nothing restates their rules), and its time moves on an injectable clock.
 */
export {
  createFakeRedis,
  type FakeRedis,
  FakeNode,
  type FakeRedisOptions,
  fakeRedisOptionsSchema,
} from "./fake.js";
