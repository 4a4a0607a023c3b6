import { describe, expect, test } from "vitest";
import {
  type AcquiredEvent,
  Lock,
  LockConfigError,
  LockTimeoutError,
  type ReleasedEvent,
} from "../../src/index.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

describe("read-write lock over 3 nodes", () => {
  const env = useNodes(3);

  test("readers share the lock; a writer waits for them, then excludes them", async () => {
    const redlock = env.redlock({ retryDelay: 20, retryJitter: 10 });
    const rw = redlock.readWriteLock("doc:1");
    const r1 = await rw.acquireRead(10_000, { timeout: 2_000 });
    const r2 = await rw.acquireRead(10_000, { timeout: 2_000 });
    expect(r1).toBeInstanceOf(Lock);
    expect(r1.isHeld() && r2.isHeld()).toBe(true);
    expect(r1.value).not.toBe(r2.value);
    // A writer cannot get in while readers hold it.
    await expect(rw.acquireWrite(10_000, { timeout: 300 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    await r1.release();
    await r2.release();
    const w = await rw.acquireWrite(10_000, { timeout: 2_000 });
    expect(w.isHeld()).toBe(true);
    await expect(rw.acquireRead(10_000, { timeout: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(rw.acquireWrite(10_000, { timeout: 300 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    await w.release();
    const r3 = await rw.acquireRead(10_000, { timeout: 2_000 });
    await r3.release();
  });

  test("a waiting writer is woken by the readers' release, readers by the writer's", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("doc:2");
    const r = await rw.acquireRead(30_000);
    const writer = rw.acquireWrite(10_000, { timeout: 20_000 });
    // The writer has recorded its intent on every node.
    await waitFor(async () =>
      (await env.nodes.values("{doc:2}:rw-intent")).every((v) => v !== null),
    );
    await r.release();
    const w = await writer;
    const reader = rw.acquireRead(10_000, { timeout: 20_000 });
    await w.release();
    const r2 = await reader;
    expect(r2.isHeld()).toBe(true);
    await r2.release();
  });

  test("extend keeps a reader's own lease; release is by token", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("doc:3");
    const r1 = await rw.acquireRead(1_000);
    const r2 = await rw.acquireRead(1_000);
    await r1.extend(20_000);
    expect(r1.remaining).toBeGreaterThan(15_000);
    expect(r2.remaining).toBeLessThanOrEqual(1_000);
    await r2.release();
    // r1 is still a reader on every node.
    const scores = await Promise.all(
      [0, 1, 2].map(async (i) =>
        (await env.nodes.inspect(i)).zScore("{doc:3}:rw-readers", r1.value),
      ),
    );
    expect(scores.every((s) => s !== null)).toBe(true);
    await r1.release();
    expect(r1.isHeld()).toBe(false);
  });

  test("an extension heals a lease missing on a node", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("doc:4");
    const w = await rw.acquireWrite(10_000);
    const r = await redlock.readWriteLock("doc:5").acquireRead(10_000);
    await (await env.nodes.inspect(0)).flushAll();
    await w.extend(10_000);
    await r.extend(10_000);
    expect((await env.nodes.values("{doc:4}:rw-writer")).every((v) => v === w.value)).toBe(true);
    const score = await (await env.nodes.inspect(0)).zScore("{doc:5}:rw-readers", r.value);
    expect(score).not.toBeNull();
    await w.release();
    await r.release();
  });

  test("a refused attempt rolls back the leases it set on a minority", async () => {
    const redlock = env.redlock();
    const rw = redlock.readWriteLock("doc:8");
    const other = "0123456789abcdef0123456789abcdef";
    // Another writer holds two nodes of three: a reader wins only the third, and gives it back.
    await env.nodes.hold("{doc:8}:rw-writer", other, 10_000, [0, 1]);
    await expect(rw.acquireRead(5_000, { timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    await waitFor(
      async () => (await (await env.nodes.inspect(2)).zCard("{doc:8}:rw-readers")) === 0,
    );
    await expect(rw.acquireWrite(5_000, { timeout: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    await waitFor(async () => (await env.nodes.values("{doc:8}:rw-writer"))[2] === null);
    expect(await env.nodes.values("{doc:8}:rw-writer")).toEqual([other, other, null]);
  });

  test("events name the lease's kind", async () => {
    const redlock = env.redlock();
    const acquired: AcquiredEvent[] = [];
    const released: ReleasedEvent[] = [];
    redlock.on("acquired", (e) => acquired.push(e));
    redlock.on("released", (e) => released.push(e));
    const rw = redlock.readWriteLock("doc:6");
    const r = await rw.acquireRead(5_000);
    await r.release();
    const w = await rw.acquireWrite(5_000);
    await w.release();
    await (await redlock.acquire("plain", 5_000)).release();
    expect(acquired.map((e) => e.kind)).toEqual(["read", "write", undefined]);
    expect(released.map((e) => e.kind)).toEqual(["read", "write", undefined]);
    expect(acquired[0]?.resources).toEqual(["doc:6"]);
  });

  test("bad input is a LockConfigError and sends nothing", async () => {
    const redlock = env.redlock();
    expect(() => redlock.readWriteLock("")).toThrow(LockConfigError);
    expect(() => redlock.readWriteLock("x", { intentTtl: 5 })).toThrow(LockConfigError);
    expect(() => redlock.readWriteLock("x", { fair: true } as never)).toThrow(LockConfigError);
    const rw = redlock.readWriteLock("doc:7");
    await expect(rw.acquireRead(0)).rejects.toBeInstanceOf(LockConfigError);
    await expect(rw.acquireWrite(1.5)).rejects.toBeInstanceOf(LockConfigError);
    await expect(rw.acquireRead(1_000, { timeout: -1 })).rejects.toBeInstanceOf(LockConfigError);
    await expect(rw.acquireWrite(1_000, { fair: true } as never)).rejects.toBeInstanceOf(
      LockConfigError,
    );
    await expect(rw.usingRead(1_000, {}, undefined as never)).rejects.toBeInstanceOf(
      LockConfigError,
    );
    await expect(
      rw.usingWrite(1_000, { automaticExtensionThreshold: 2_000 }, () =>
        Promise.resolve(undefined),
      ),
    ).rejects.toBeInstanceOf(LockConfigError);
    expect(() => rw.adopt({ v: 2 })).toThrow(LockConfigError);
    const plain = await redlock.acquire("plain", 1_000);
    await expect(rw.downgrade(plain, 1_000)).rejects.toBeInstanceOf(LockConfigError);
    await plain.release();
    expect((await env.nodes.keys("*rw*")).flat()).toEqual([]);
  });
});
