import { describe, expect, test } from "vitest";
import { LockConfigError, LockTimeoutError } from "../src/index.js";
import { fairQueueKeys } from "../src/redlock/keys.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

describe("fair (FIFO) locks", () => {
  const env = useNodes(3);
  const queued = async (resource: string) => {
    const [queue] = fairQueueKeys(resource);
    const sizes = await Promise.all(
      env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).zCard(queue)),
    );
    return Math.min(...sizes);
  };

  test("waiters get the lock in the order they arrived", async () => {
    const holder = env.redlock({ fair: true });
    const held = await holder.acquire("fifo", 30_000);
    const order: number[] = [];
    const waiters: Promise<void>[] = [];
    for (let w = 0; w < 4; w++) {
      const redlock = env.redlock({ fair: true, retryCount: -1 });
      waiters.push(
        redlock.acquire("fifo", 30_000, { timeout: 20_000 }).then(async (lock) => {
          order.push(w);
          await lock.release();
        }),
      );
      await waitFor(async () => (await queued("fifo")) === w + 1);
    }
    await held.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(await queued("fifo")).toBe(0);
  });

  test("a waiter that gives up leaves the queue and blocks nobody", async () => {
    const holder = env.redlock({ fair: true });
    const held = await holder.acquire("leaver", 30_000);
    const first = env.redlock({ fair: true, retryCount: -1 });
    const giveUp = first.acquire("leaver", 30_000, { timeout: 300 }).catch((e: unknown) => e);
    await waitFor(async () => (await queued("leaver")) === 1);
    const second = env.redlock({ fair: true, retryCount: -1 });
    const next = second.acquire("leaver", 30_000, { timeout: 20_000 });
    await waitFor(async () => (await queued("leaver")) === 2);
    expect(await giveUp).toBeInstanceOf(LockTimeoutError);
    await waitFor(async () => (await queued("leaver")) === 1);
    await held.release();
    const lock = await next;
    await lock.release();
  });

  test("a dead waiter's place lapses with its lease", async () => {
    const [queue, leases] = fairQueueKeys("lapsed");
    const soon = Date.now() + 400;
    await Promise.all(
      env.nodes.servers.map(async (_, i) => {
        const c = await env.nodes.inspect(i);
        await c.zAdd(queue, { score: 0, value: "dead-waiter" });
        await c.zAdd(leases, { score: soon, value: "dead-waiter" });
      }),
    );
    const redlock = env.redlock({ fair: true, retryCount: -1 });
    const lock = await redlock.acquire("lapsed", 30_000, { timeout: 20_000 });
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });

  test("a fair lock takes exactly one resource", async () => {
    const redlock = env.redlock();
    await expect(redlock.acquire(["a", "b"], 1_000, { fair: true })).rejects.toBeInstanceOf(
      LockConfigError,
    );
  });
});
