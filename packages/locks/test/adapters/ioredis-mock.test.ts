import RedisMock from "ioredis-mock";
import { afterEach, describe, expect, test } from "vitest";
import { LockAcquisitionError, LockManager, Redlock } from "../../src/index.js";
import { waitFor } from "../fixtures/wait.js";

// ioredis-mock keeps one in-memory store per host:port/db, shared by every instance made with
// them: each test takes a port of its own (nothing listens on it; the mock never connects).
let nextPort = 40_000;
const made: { quit(): Promise<void> }[] = [];
const mocks: InstanceType<typeof RedisMock>[] = [];
function newMock(port = nextPort++) {
  const mock = new RedisMock({ port });
  mocks.push(mock);
  return mock;
}
function redlockOver(...nodes: InstanceType<typeof RedisMock>[]) {
  const redlock = new Redlock(nodes);
  made.push(redlock);
  return redlock;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((r) => r.quit()));
  for (const mock of mocks.splice(0)) mock.disconnect();
});

describe("ioredis-mock as a node: a single-node mutex in memory", () => {
  test("acquire, extend and release go through the mock's store", async () => {
    const mock = newMock();
    const redlock = redlockOver(mock);
    const lock = await redlock.acquire("job", 1_000);
    expect(await mock.get("job")).toBe(lock.value);
    expect(await mock.pttl("job")).toBeGreaterThan(0);
    expect(await mock.pttl("job")).toBeLessThanOrEqual(1_000);
    await lock.extend(10_000);
    expect(await mock.pttl("job")).toBeGreaterThan(1_000);
    expect(lock.isHeld()).toBe(true);
    await lock.release();
    expect(await mock.get("job")).toBeNull();
    // Named as what it is: no host:port that would suggest a real server.
    expect(redlock.nodeStates().map((s) => s.node)).toEqual([
      `ioredis-mock:localhost:${mock.options.port}`,
    ]);
  });

  test("two Redlocks over one store exclude each other; a waiter gets the lock on release", async () => {
    const port = nextPort++;
    const a = redlockOver(newMock(port));
    const b = redlockOver(newMock(port));
    const held = await a.acquire("shared", 5_000);
    const refused = await b.acquire("shared", 5_000, { timeout: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockAcquisitionError);
    const waiting = b.acquire("shared", 5_000, { retryCount: -1, timeout: 5_000 });
    await held.release();
    const next = await waiting;
    expect(next.isHeld()).toBe(true);
    await next.release();
  });

  test("a ttl above the 78 s uptime its canned INFO reports is not held back by the restart quarantine", async () => {
    const redlock = redlockOver(newMock());
    const lock = await redlock.acquire("long", 120_000, { timeout: 1_000 });
    expect(redlock.nodeStates()[0]?.quarantinedFor).toBe(0);
    await lock.release();
  });

  test("fencing tokens rise and fair locks are granted, through its Lua emulation", async () => {
    const redlock = redlockOver(newMock());
    const first = await redlock.acquire("fenced", 1_000, { fencing: true });
    await first.release();
    const second = await redlock.acquire("fenced", 1_000, { fencing: true });
    expect(first.fencingToken).toBeDefined();
    expect(second.fencingToken).toBe((first.fencingToken ?? 0n) + 1n);
    await second.release();
    const fair = await redlock.acquire("queued", 1_000, { fair: true });
    expect(fair.isHeld()).toBe(true);
    await fair.release();
  });

  test("using() keeps a short lock alive over several ttls", async () => {
    const mock = newMock();
    const redlock = redlockOver(mock);
    let extensions = 0;
    redlock.on("extended", () => extensions++);
    await redlock.using("watched", 300, async (signal) => {
      await waitFor(() => {
        expect(signal.aborted).toBe(false);
        return extensions >= 3;
      });
    });
    expect(await mock.get("watched")).toBeNull();
  });

  test("a LockManager runs on it, and neither closes the caller's mock", async () => {
    const mock = newMock();
    const manager = new LockManager({ redisNodes: [mock], cache: "memory" });
    made.push({ quit: () => manager.close() });
    const result = await manager.withLock("report", async (handle) => {
      expect(await mock.get("lock:report")).toBe(handle.value);
      return "built";
    });
    expect(result).toBe("built");
    expect(await mock.get("lock:report")).toBeNull();
    await manager.close();
    // ioredis-mock's types (ioredis') lack its `connected` flag, which disconnect() clears.
    expect((mock as unknown as { connected: boolean }).connected).toBe(true);
  });
});
