import { describe, expect, test } from "vitest";
import { useNodes, waitFor } from "./fixtures/vitest.js";

/** Waits until the nodes at `indexes` hold `value` at `key`. */
async function held(
  env: ReturnType<typeof useNodes>,
  key: string,
  value: string,
  indexes: readonly number[],
): Promise<void> {
  await waitFor(async () => {
    const values = await env.nodes.values(key);
    return indexes.every((i) => values[i] === value);
  });
}

describe("extensions heal nodes that lost the lock", () => {
  const env = useNodes(5);
  const all = [0, 1, 2, 3, 4];

  // redis-semaphore's RedlockMutex "should handle server shutdown if quorum is alive": without
  // healing, the third restart leaves our keys on 2 of 5 nodes and the next extension fails.
  test("a lock under using() survives three nodes restarting one after another", async () => {
    const redlock = env.redlock();
    let extensions = 0;
    redlock.on("extended", () => extensions++);
    const lost: unknown[] = [];
    redlock.on("lost", ({ error }) => lost.push(error));
    await redlock.using("survivor", 1_000, async (signal, lock) => {
      await Promise.all([0, 1].map((i) => env.nodes.server(i).restart()));
      // An extension that was in flight during the restarts may not have reached them: wait for
      // one that did, i.e. for the keys to be back.
      await held(env, "survivor", lock.value, [0, 1]);
      expect(signal.aborted).toBe(false);
      await env.nodes.server(2).restart();
      // Two more extensions: the second surely started after node 2 was back.
      const seen = extensions;
      await waitFor(() => extensions >= seen + 2 || signal.aborted);
      expect(lost).toEqual([]);
      expect(signal.aborted).toBe(false);
      expect(lock.isHeld()).toBe(true);
      const values = await env.nodes.values("survivor");
      expect(values.filter((v) => v === lock.value).length).toBeGreaterThanOrEqual(3);
      // ... and node 2 was healed in turn.
      await held(env, "survivor", lock.value, all);
    });
    await env.nodes.settle("survivor", [null, null, null, null, null]);
  });

  test("a flushed node holds the key again after extend(), with the new ttl", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire("flushed", 5_000);
    await held(env, "flushed", lock.value, all);
    await (await env.nodes.inspect(1)).flushAll();
    await lock.extend(60_000);
    await held(env, "flushed", lock.value, all);
    expect(await (await env.nodes.inspect(1)).pTTL("flushed")).toBeGreaterThan(50_000);
    await lock.release();
    await env.nodes.settle("flushed", [null, null, null, null, null]);
  });

  test("another owner's key is never written over, and the lock extends on the rest", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire("shared", 5_000);
    await held(env, "shared", lock.value, all);
    await env.nodes.hold("shared", "intruder", 60_000, [3]);
    await lock.extend(30_000);
    expect(lock.isHeld()).toBe(true);
    await held(env, "shared", lock.value, [0, 1, 2, 4]);
    expect((await env.nodes.values("shared"))[3]).toBe("intruder");
    const ttl = await (await env.nodes.inspect(3)).pTTL("shared");
    expect(ttl).toBeGreaterThan(50_000); // the intruder's ttl untouched, not replaced by ours
    await lock.release();
    await env.nodes.settle("shared", [null, null, null, "intruder", null]);
  });

  test("a node that another owner held at acquisition gets the key once that owner's expired", async () => {
    // A deployment older than its quarantine (a short one, fixed): in a fresh deployment a key
    // another owner set in its first moments holds young grants back until it expires.
    const redlock = env.redlock({ retryCount: 0, restartQuarantine: 100 });
    await (await redlock.acquire("warm-up", 100)).release();
    await waitFor(async () => {
      const client = await env.nodes.inspect(0);
      const [born, time] = await Promise.all([
        client.hGet("quorum-locks:node", "born"),
        client.sendCommand<[string, string]>(["TIME"]),
      ]);
      return Number(time[0]) * 1_000 + Number(time[1]) / 1_000 - Number(born) > 150;
    });
    await env.nodes.hold("late", "previous", 300, [0]);
    const lock = await redlock.acquire("late", 30_000);
    await held(env, "late", lock.value, [1, 2, 3, 4]);
    await waitFor(async () => (await env.nodes.values("late"))[0] === null);
    await lock.extend(30_000);
    await held(env, "late", lock.value, all);
    // The release goes to every node after an extension, also to the one healed there.
    await lock.release();
    await env.nodes.settle("late", [null, null, null, null, null]);
  });

  test("a multi-resource lock heals a node all or none", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire(["a", "b"], 5_000);
    await held(env, "a", lock.value, all);
    await held(env, "b", lock.value, all);
    // Node 0: both keys gone. Node 1: "a" gone, "b" taken by another owner. Node 2: "a" gone.
    await (await env.nodes.inspect(0)).flushAll();
    await (await env.nodes.inspect(1)).del("a");
    await env.nodes.hold("b", "intruder", 60_000, [1]);
    await (await env.nodes.inspect(2)).del("a");
    await lock.extend(30_000);
    await held(env, "a", lock.value, [0, 2, 3, 4]);
    await held(env, "b", lock.value, [0, 2, 3, 4]);
    // Nothing changed on node 1: "a" stays absent rather than half of the lock being set.
    expect((await env.nodes.values("a"))[1]).toBeNull();
    expect((await env.nodes.values("b"))[1]).toBe("intruder");
    await lock.release();
  });
});
