import { getEventListeners } from "node:events";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LockManager, Redlock } from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

type Client = ReturnType<typeof createClient>;

/** Every listener a client holds, by event name. */
function listenersOf(client: Client): Record<string, number> {
  return Object.fromEntries(client.eventNames().map((e) => [String(e), client.listenerCount(e)]));
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("many cycles leave no listeners or timers behind", () => {
  const env = useNodes(3);
  let clients: Client[] = [];
  beforeAll(async () => {
    clients = env.nodes.urls.map((url) => createClient({ url }));
    await Promise.all(clients.map((c) => c.connect()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  test("acquire, release, extend, using and waits for a held lock, all with one signal", async () => {
    const redlock = new Redlock(clients, { retryDelay: 5, retryJitter: 5 });
    const signal = new AbortController().signal;
    // Warm up: connections, scripts and the subscriber connections exist before the baseline.
    await (await redlock.acquire("warm", 1_000, { signal })).release();
    const held = await redlock.acquire("warm-held", 5_000);
    const warmWait = redlock.acquire("warm-held", 5_000, { signal, timeout: 5_000 });
    await held.release();
    await (await warmWait).release();
    const before = clients.map(listenersOf);
    const timersBefore = timers();

    for (let i = 0; i < 300; i++) {
      const lock = await redlock.acquire(`leak:${i % 7}`, 5_000, { signal });
      if (i % 3 === 0) await lock.extend(5_000);
      await lock.release();
    }
    for (let i = 0; i < 20; i++) {
      await redlock.using(`leak:using:${i}`, 1_000, { signal }, async (inner, lock) => {
        await lock.extend(1_000);
        expect(inner.aborted).toBe(false);
      });
    }
    for (let i = 0; i < 20; i++) {
      // A waiter subscribes to the release channel and unsubscribes when it gets the lock.
      const holder = await redlock.acquire(`leak:wait:${i}`, 5_000);
      const waiting = redlock.acquire(`leak:wait:${i}`, 5_000, { signal, timeout: 5_000 });
      await holder.release();
      await (await waiting).release();
    }

    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    expect(clients.map(listenersOf)).toEqual(before);
    await waitFor(() => timers() <= timersBefore);
    await redlock.quit();
  });

  test("stampede bursts with a signal, and lock handles, leave none either", async () => {
    const manager = new LockManager({ redisNodes: env.nodes.urls });
    const signal = new AbortController().signal;
    await manager.protectCacheStampede("warm", () => 0, { signal });
    const timersBefore = timers();
    for (let round = 0; round < 10; round++) {
      const values = await Promise.all(
        Array.from({ length: 50 }, () =>
          manager.protectCacheStampede(`burst:${round}`, () => round, { signal }),
        ),
      );
      expect(values).toEqual(Array(50).fill(round));
      await using handle = await manager.getLock(`handle:${round}`, { signal, autoExtend: true });
      expect(handle.hasLock()).toBe(true);
    }
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    await waitFor(() => timers() <= timersBefore);
    await manager.close();
  });
});
