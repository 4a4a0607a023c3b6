import { expect, test } from "vitest";
import { Redlock } from "../../src/index.js";
import { createFakeRedis } from "../../src/testing/index.js";

// The semaphore's scripts run on quorum-locks/testing's fake nodes too (its Lua subset).
test("a semaphore works over the fake nodes, plain, fenced and fair", async () => {
  const fake = createFakeRedis({ nodes: 3 });
  const redlock = new Redlock(fake.nodes);
  const sem = redlock.semaphore("pool", { limit: 2, fencing: true });
  const both = await sem.acquire(10_000, { permits: 2 });
  expect(both.fencingToken).toBeTypeOf("bigint");
  expect(await sem.inUse()).toBe(2);
  await expect(sem.acquire(10_000, { timeout: 0 })).rejects.toThrow();
  await both.release();
  expect(await sem.inUse()).toBe(0);
  const fair = redlock.semaphore("queue", { limit: 1, fair: true });
  const one = await fair.acquire(10_000);
  await one.release();
  await redlock.quit();
});
