import { describe, expect, test } from "vitest";
import {
  LockAcquisitionError,
  LockConfigError,
  LockExpiredError,
  type LockError,
  LockHoldLimitError,
  LockOwnershipError,
  LockTimeoutError,
} from "../../src/index.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

describe("getLock", () => {
  const env = useManagers(3);

  test("holds the prefixed key on every node while held; disposing releases it", async () => {
    const manager = env.manager();
    let token = "";
    {
      await using handle = await manager.getLock("user:123", { ttl: 10_000, timeout: 2_000 });
      expect(handle.hasLock()).toBe(true);
      expect(handle.resource).toBe("user:123");
      token = handle.value ?? "";
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect(handle.expiration).toBeGreaterThan(Date.now());
      expect(handle.getStaleData()).toBeUndefined();
      expect(handle.signal.aborted).toBe(false);
      await env.nodes.settle("lock:user:123", [token, token, token]);
    }
    await env.nodes.settle("lock:user:123", [null, null, null]);
  });

  test("after release the handle reports nothing held and forgets its token", async () => {
    const manager = env.manager();
    const handle = await manager.getLock("released");
    await handle.release();
    expect(handle.hasLock()).toBe(false);
    expect(handle.value).toBeUndefined();
    expect(handle.expiration).toBeUndefined();
    await handle.release(); // a second release is a no-op
  });

  test("without returnStale a held lock times out with LockTimeoutError", async () => {
    const a = env.manager();
    const b = env.manager();
    await using _held = await a.getLock("busy");
    const error = await b.getLock("busy", { timeout: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).attempts).toBeGreaterThan(1);
  });

  test("timeout 0 is a single non-blocking try", async () => {
    const a = env.manager();
    const b = env.manager();
    await using _held = await a.getLock("try-once");
    const error = await b.getLock("try-once", { timeout: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).attempts).toBe(1);
  });

  test("maxRetries ends the wait before the timeout with LockAcquisitionError", async () => {
    const a = env.manager();
    const b = env.manager({ maxRetries: 2 });
    // Held with a short ttl kept alive by the watchdog: a waiter retries as each ttl runs out.
    await using _held = await a.getLock("retries", { ttl: 300, autoExtend: true });
    const error = await b.getLock("retries", { timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect(error).not.toBeInstanceOf(LockTimeoutError);
    expect((error as LockAcquisitionError).attempts).toBe(3);
  });

  test("with returnStale a held lock yields a handle without it, carrying the cached value", async () => {
    const a = env.manager();
    const b = env.manager();
    await a.setCached("user:7", { name: "Ada" });
    await using held = await a.getLock("user:7");
    await using handle = await b.getLock("user:7", { timeout: 0, returnStale: true });
    expect(handle.hasLock()).toBe(false);
    expect(handle.getStaleData()).toEqual({ name: "Ada" });
    expect(handle.value).toBeUndefined();
    expect(handle.signal.aborted).toBe(true);
    await expect(handle.extendLock(1_000)).rejects.toBeInstanceOf(LockOwnershipError);
    await handle.release(); // nothing to release; the holder keeps its lock
    expect(await b.isLocked("user:7")).toBe(true);
    expect(held.hasLock()).toBe(true);
  });

  test("returnStale honours staleTtl and yields undefined when nothing is cached", async () => {
    const a = env.manager();
    await using _held = await a.getLock("nothing-cached");
    const none = await a.getLock("nothing-cached", { timeout: 0, returnStale: true });
    expect(none.getStaleData()).toBeUndefined();
    await a.setCached("old", 1);
    await using _old = await a.getLock("old");
    await waitFor(async () => {
      const tooOld = await a.getLock("old", { timeout: 0, returnStale: true, staleTtl: 1 });
      return tooOld.getStaleData() === undefined;
    });
    const young = await a.getLock("old", { timeout: 0, returnStale: true, staleTtl: 60_000 });
    expect(young.getStaleData()).toBe(1);
  });

  test("extendLock adds to the remaining validity", async () => {
    const manager = env.manager();
    await using handle = await manager.getLock("extend", { ttl: 2_000 });
    const before = handle.expiration ?? 0;
    await handle.extendLock(5_000);
    expect(handle.expiration).toBeGreaterThan(before + 4_000);
    const ttl = await (await env.nodes.inspect(0)).pTTL("lock:extend");
    expect(ttl).toBeGreaterThan(5_000);
  });

  test("a lock whose validity ran out is never reported as held, and its signal aborts", async () => {
    const manager = env.manager();
    const handle = await manager.getLock("short", { ttl: 100 });
    await waitFor(() => handle.signal.aborted);
    expect(handle.hasLock()).toBe(false);
    expect(handle.signal.reason).toBeInstanceOf(LockExpiredError);
    await expect(handle.release()).rejects.toBeInstanceOf(LockExpiredError);
  });

  test("autoExtend keeps the lock past its ttl, and aborts the signal when it is taken", async () => {
    const manager = env.manager();
    const lost: [string, LockError][] = [];
    manager.on("lost", (name, reason) => lost.push([name, reason]));
    const handle = await manager.getLock("watched", { ttl: 300, autoExtend: true });
    await waitFor(() => manager.getStatistics().locks.extensions >= 3, { intervalMs: 20 });
    expect(handle.hasLock()).toBe(true);
    await env.nodes.hold("lock:watched", "intruder", 60_000, [0, 1, 2]);
    await waitFor(() => handle.signal.aborted);
    expect(handle.hasLock()).toBe(false);
    expect(handle.signal.reason).toBeInstanceOf(LockOwnershipError);
    expect(lost.map(([name]) => name)).toEqual(["watched"]);
    expect(manager.getStatistics().locks.lostLocks).toBe(1);
  });

  test("the signal option aborts the wait", async () => {
    const a = env.manager();
    await using _held = await a.getLock("abort");
    const controller = new AbortController();
    const waiting = a.getLock("abort", { timeout: 30_000, signal: controller.signal });
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow(/aborted/);
  });

  test("a closed manager refuses new work", async () => {
    const manager = env.manager();
    await manager.close();
    await expect(manager.getLock("x")).rejects.toBeInstanceOf(LockConfigError);
  });
});

describe("tryLock, unlock, isLocked, getLockInfo, healthCheck", () => {
  const env = useManagers(3);

  test("tryLock takes a free lock, fails on a held one, and unlock releases it", async () => {
    const a = env.manager();
    const b = env.manager();
    expect(await a.tryLock("file_write", { timeout: 1_000, retryDelay: 50 })).toBe(true);
    expect(await a.tryLock("file_write", { timeout: 1_000 })).toBe(false); // this manager holds it
    expect(await b.tryLock("file_write", { timeout: 200, retryDelay: 50 })).toBe(false);
    expect(await a.unlock("file_write")).toBe(true);
    expect(await a.unlock("file_write")).toBe(false);
    expect(await b.tryLock("file_write", { timeout: 1_000, retryDelay: 50 })).toBe(true);
    expect(b.getStatistics().heldByName).toBe(1);
  });

  test("getLockInfo reads owner, times and nodes from the nodes; null when free", async () => {
    const a = env.manager();
    const b = env.manager();
    expect(await b.getLockInfo("info")).toBeNull();
    expect(await b.isLocked("info")).toBe(false);
    const before = Date.now();
    await using handle = await a.getLock("info", { ttl: 20_000 });
    await waitFor(async () => (await b.getLockInfo("info"))?.acquiredAt !== undefined);
    const info = await b.getLockInfo("info");
    expect(info).toMatchObject({ name: "info", owner: handle.value, ttl: 20_000 });
    expect(info?.acquiredAt).toBeGreaterThanOrEqual(before);
    expect(info?.expiresAt).toBeGreaterThan(Date.now() + 15_000);
    expect([...(info?.redisNodes ?? [])].sort()).toEqual(
      env.nodes.servers.map((s) => `127.0.0.1:${s.port}`).sort(),
    );
    expect(await b.isLocked("info")).toBe(true);
    await handle.release();
    await waitFor(async () => !(await b.isLocked("info")));
    await waitFor(async () => (await env.nodes.keys("lock-info:*")).flat().length === 0);
  });

  test("isLocked is false when only a minority of nodes holds the name", async () => {
    const manager = env.manager();
    await env.nodes.hold("lock:minority", "someone", 60_000, [0]);
    expect(await manager.isLocked("minority")).toBe(false);
    await env.nodes.hold("lock:minority", "someone", 60_000, [1]);
    const info = await manager.getLockInfo("minority");
    expect(info).toMatchObject({ owner: "someone", acquiredAt: undefined, ttl: undefined });
    expect(info?.redisNodes).toHaveLength(2);
  });

  test("healthCheck reports each node and whether a quorum is reachable", async () => {
    const manager = env.manager({ commandTimeout: 200 });
    const healthy = await manager.healthCheck();
    expect(healthy).toMatchObject({ healthy: true, quorum: 2, reachable: 3, cache: { ok: true } });
    await env.nodes.server(1).kill();
    await env.nodes.server(2).pause();
    const sick = await manager.healthCheck();
    expect(sick.healthy).toBe(false);
    expect(sick.reachable).toBe(1);
    expect(sick.nodes.map((n) => n.ok)).toEqual([true, false, false]);
    expect(sick.nodes[2]?.error).toMatch(/timed out/);
    await env.nodes.server(2).resume(); // closing waits for a paused node's reply
  });
});

describe("autoExtend with maxExtensions and maxHoldTime", () => {
  const env = useManagers(3);

  test("getLock with maxExtensions: 2 aborts the signal after two extensions; the lock then expires", async () => {
    const manager = env.manager();
    const lost: string[] = [];
    manager.on("lost", (name) => lost.push(name));
    const handle = await manager.getLock("capped", {
      ttl: 300,
      autoExtend: true,
      maxExtensions: 2,
    });
    await waitFor(() => handle.signal.aborted);
    const reason = handle.signal.reason as LockHoldLimitError;
    expect(reason).toBeInstanceOf(LockHoldLimitError);
    expect(reason.limit).toBe("maxExtensions");
    expect(reason.value).toBe(2);
    expect(reason.extensions).toBe(2);
    expect(reason.resources).toEqual(["lock:capped"]);
    // Not extended any further: it runs out on the nodes by itself.
    await waitFor(async () => !(await manager.isLocked("capped")));
    expect(handle.hasLock()).toBe(false);
    expect(manager.getStatistics().locks.extensions).toBe(2);
    // Reaching a cap is not losing the lock.
    expect(manager.getStatistics().locks.lostLocks).toBe(0);
    expect(lost).toEqual([]);
  });

  test("withLock with maxHoldTime aborts the signal before the lock would be kept past it, then releases", async () => {
    const manager = env.manager();
    const maxHoldTime = 1_000;
    const seen = await manager.withLock(
      "hold-capped",
      async (handle) => {
        const acquiredAt = Date.now();
        await waitFor(() => handle.signal.aborted);
        return {
          reason: handle.signal.reason as unknown,
          expiration: handle.expiration,
          acquiredAt,
        };
      },
      { ttl: 300, autoExtend: true, maxHoldTime },
    );
    expect(seen.reason).toBeInstanceOf(LockHoldLimitError);
    const reason = seen.reason as LockHoldLimitError;
    expect(reason.limit).toBe("maxHoldTime");
    expect(reason.value).toBe(maxHoldTime);
    expect(manager.getStatistics().locks.extensions).toBe(reason.extensions);
    // The handle still held the lock when it was told (a third of the ttl was left), and its
    // validity did not reach past maxHoldTime after the acquisition (a few ms of clock slack).
    expect(seen.expiration).toBeDefined();
    expect(seen.expiration).toBeLessThanOrEqual(seen.acquiredAt + maxHoldTime + 20);
    // withLock released it at the end of the routine, as with any hold.
    expect(await manager.isLocked("hold-capped")).toBe(false);
    expect(manager.getStatistics().locks.releases).toBe(1);
  });

  test("the caps need autoExtend and valid values", async () => {
    const manager = env.manager();
    for (const [options, field] of [
      [{ maxExtensions: 2 }, "options.maxExtensions"],
      [{ maxHoldTime: 1_000, autoExtend: false }, "options.maxHoldTime"],
      [{ autoExtend: true, maxExtensions: -1 }, "options.maxExtensions"],
      [{ autoExtend: true, maxHoldTime: "1s" as never }, "options.maxHoldTime"],
    ] as const) {
      const error = await manager.getLock("x", options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockConfigError);
      expect((error as LockConfigError).field).toBe(field);
    }
    await expect(manager.tryLock("x", { maxExtensions: 1 })).rejects.toThrow(
      /maxExtensions: only applies with autoExtend: true/,
    );
    await expect(manager.withLock("x", () => 1, { maxHoldTime: 1 })).rejects.toBeInstanceOf(
      LockConfigError,
    );
    expect(await manager.isLocked("x")).toBe(false);
  });
});
