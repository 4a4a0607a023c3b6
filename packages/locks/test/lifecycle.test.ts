import { createClient } from "redis";
import { describe, expect, test } from "vitest";
import { clockDrift, LockAcquisitionError, LockOwnershipError, Redlock } from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

describe.each([1, 3, 5])("%i node(s)", (n) => {
  const env = useNodes(n);

  test("acquire sets the token on every node, extend renews it, release deletes it", async () => {
    const redlock = env.redlock();
    const before = Date.now();
    const lock = await redlock.acquire(["orders:42"], 10_000);
    expect(lock.resources).toEqual(["orders:42"]);
    expect(lock.value).toMatch(/^[0-9a-f]{32}$/); // 128 random bits
    expect(lock.expiration).toBeGreaterThan(before);
    expect(lock.expiration).toBeLessThanOrEqual(Date.now() + 10_000 - clockDrift(10_000, 0.01));
    await env.nodes.settle("orders:42", Array(n).fill(lock.value));

    await lock.extend(60_000);
    // extend() resolves once a quorum confirmed; the rest follow within a round trip.
    await waitFor(async () => {
      const ttls = await Promise.all(
        env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).pTTL("orders:42")),
      );
      return ttls.every((ttl) => ttl > 10_000);
    });

    await lock.release();
    expect(lock.isHeld()).toBe(false);
    // release() resolves once a quorum confirmed; the rest follow within a round trip.
    await env.nodes.settle("orders:42", Array(n).fill(null));
    await lock.release(); // a second release is a no-op
  });

  test("a second owner waits until the first releases", async () => {
    const a = env.redlock();
    const b = env.redlock({ retryCount: -1, retryDelay: 10, retryJitter: 10 });
    const first = await a.acquire("mutex", 10_000);
    let secondHeld = false;
    const second = b.acquire("mutex", 10_000).then((l) => {
      secondHeld = true;
      return l;
    });
    await waitFor(async () => (await env.nodes.keys()).flat().length > 0);
    expect(secondHeld).toBe(false);
    await first.release();
    const lock = await second;
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });

  test("a single try on a held resource fails with each node's outcome", async () => {
    const redlock = env.redlock();
    const held = await redlock.acquire("busy", 10_000);
    const error = await redlock.acquire("busy", 10_000, { retryCount: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    const { nodes, attempts } = error as LockAcquisitionError;
    expect(attempts).toBe(1);
    expect(nodes.some((o) => o.status === "held" && o.ttl > 0)).toBe(true);
    await held.release();
  });
});

describe("multiple resources", () => {
  const env = useNodes(3);

  test("all resources are locked together", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire(["a", "b", "c"], 10_000);
    for (const key of ["a", "b", "c"]) {
      await env.nodes.settle(key, [lock.value, lock.value, lock.value]);
    }
    await lock.release();
    await waitFor(async () => (await env.nodes.keys()).flat().length === 0);
  });

  test("one busy resource means none is taken (all or none on every node)", async () => {
    await env.nodes.hold("b", "someone-else", 60_000, [0, 1, 2]);
    const redlock = env.redlock({ retryCount: 0 });
    await expect(redlock.acquire(["a", "b", "c"], 10_000)).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );
    expect(await env.nodes.keys()).toEqual([["b"], ["b"], ["b"]]);
  });

  test("overlapping resource sets exclude each other", async () => {
    const redlock = env.redlock({ retryCount: 0 });
    const lock = await redlock.acquire(["x", "y"], 10_000);
    await expect(redlock.acquire(["y", "z"], 10_000)).rejects.toBeInstanceOf(LockAcquisitionError);
    await lock.release();
    const next = await redlock.acquire(["y", "z"], 10_000);
    await next.release();
  });
});

describe("token compare-and-set", () => {
  const env = useNodes(3);

  test("a lock whose keys were taken over cannot release or extend them", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire("cas", 10_000);
    await env.nodes.hold("cas", "intruder", 60_000, [0, 1, 2]);
    await expect(lock.extend(10_000)).rejects.toBeInstanceOf(LockOwnershipError);
    expect(lock.isHeld()).toBe(false);
    await expect(lock.release()).rejects.toBeInstanceOf(LockOwnershipError);
    expect(await env.nodes.values("cas")).toEqual(["intruder", "intruder", "intruder"]);
    const ttl = await (await env.nodes.inspect(0)).pTTL("cas");
    expect(ttl).toBeGreaterThan(50_000); // the extension did not touch the intruder's ttl
  });

  test("a lock that expired and was taken by another owner leaves the new owner alone", async () => {
    const a = env.redlock();
    const b = env.redlock({ retryCount: -1, retryDelay: 5, retryJitter: 5 });
    const old = await a.acquire("expiring", 100);
    const taken = await b.acquire("expiring", 10_000);
    const before = await env.nodes.values("expiring");
    expect(before.filter((v) => v === taken.value).length).toBeGreaterThanOrEqual(2);
    await expect(old.release()).rejects.toThrow(/expired|no longer held/);
    const after = await env.nodes.values("expiring");
    before.forEach((v, i) => {
      if (v === taken.value) expect(after[i]).toBe(taken.value);
    });
    await taken.release();
  });

  test("release after losing a minority of nodes still succeeds", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire("minority", 10_000);
    await env.nodes.hold("minority", "intruder", 60_000, [2]);
    await lock.release();
    await env.nodes.settle("minority", [null, null, "intruder"]);
  });
});

describe("scripts and clients", () => {
  const env = useNodes(3);

  test("scripts flushed from a node's cache are reloaded (NOSCRIPT fallback)", async () => {
    const redlock = env.redlock();
    (await redlock.acquire("warm", 1_000)).release().catch(() => undefined);
    await Promise.all(
      env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).scriptFlush()),
    );
    const lock = await redlock.acquire("after-flush", 10_000);
    await lock.extend(10_000);
    await lock.release();
    await waitFor(async () => (await env.nodes.keys()).flat().length === 0);
  });

  test("clients the caller created are used as they are and left open", async () => {
    const clients = env.nodes.urls.map((url) => createClient({ url }));
    await Promise.all(clients.map((c) => c.connect()));
    const redlock = new Redlock(clients);
    expect(redlock.nodes).toEqual(env.nodes.urls.map((u) => new URL(u).host));
    const lock = await redlock.acquire("borrowed", 10_000);
    await lock.release();
    await redlock.quit();
    for (const c of clients) expect(await c.ping()).toBe("PONG");
    await Promise.all(clients.map((c) => c.close()));
  });

  test("node-redis option objects are accepted as nodes", async () => {
    const redlock = env.redlock(
      {},
      env.nodes.servers.map((s) => ({ socket: { host: "127.0.0.1", port: s.port } })),
    );
    const lock = await redlock.acquire("by-options", 10_000);
    await lock.release();
  });
});

describe("await using", () => {
  const env = useNodes(3);

  test("the lock is released when the scope ends", async () => {
    const redlock = env.redlock();
    {
      await using lock = await redlock.acquire("scoped", 10_000);
      await env.nodes.settle("scoped", [lock.value, lock.value, lock.value]);
    }
    await env.nodes.settle("scoped", [null, null, null]);
  });

  test("disposal never throws; a failed release is reported through an event", async () => {
    const redlock = env.redlock();
    const reported: Error[] = [];
    redlock.on("releaseError", (_lock, error) => reported.push(error));
    {
      await using lock = await redlock.acquire("scoped-lost", 10_000);
      expect(lock.isHeld()).toBe(true);
      await env.nodes.hold("scoped-lost", "intruder", 60_000, [0, 1, 2]);
    }
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(LockOwnershipError);
  });
});
