import { afterEach, describe, expect, test } from "vitest";
import {
  distributedLock,
  LockAcquisitionError,
  LockConfigError,
  LockError,
  LockManager,
  Redlock,
} from "../../src/index.js";
import { createFakeRedis } from "../../src/testing/index.js";
import { waitFor } from "../fixtures/wait.js";

// Code that takes locks, unit-tested on the fake of quorum-locks/testing, on the library's
// defaults. A fixed clock (time moves only with advance()) makes expiry deterministic.
const START = 1_800_000_000_000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
function redlockOver(...args: ConstructorParameters<typeof Redlock>): Redlock {
  const redlock = new Redlock(...args);
  closers.push(() => redlock.quit());
  return redlock;
}
function managerOver(options: ConstructorParameters<typeof LockManager>[0]): LockManager {
  const manager = new LockManager(options);
  closers.push(() => manager.close());
  return manager;
}

describe("Redlock on the fake", () => {
  test("acquire, extend and release go through the fake's data, one node by default", async () => {
    const fake = createFakeRedis();
    const redlock = redlockOver(fake.nodes);
    const lock = await redlock.acquire(["job:a", "job:b"], 10_000);
    expect(await fake.node.command("GET", "job:a")).toBe(lock.value);
    expect(await fake.node.command("GET", "job:b")).toBe(lock.value);
    await lock.extend(60_000);
    expect(await fake.node.command("PTTL", "job:a")).toBeGreaterThan(10_000);
    await lock.release();
    expect(await fake.node.command("GET", "job:a")).toBeNull();
    expect(redlock.nodeStates().map((s) => s.node)).toEqual(["fake-redis:node-0"]);
  });

  test("two Redlocks over three nodes exclude each other", async () => {
    const fake = createFakeRedis({ nodes: 3 });
    const a = redlockOver(fake.nodes);
    const b = redlockOver(fake.nodes);
    const held = await a.acquire("shared", 10_000);
    const refused = await b.acquire("shared", 10_000, { retryCount: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockAcquisitionError);
    await held.release();
    const next = await b.acquire("shared", 10_000, { retryCount: 0 });
    expect(await Promise.all(fake.nodes.map((n) => n.command("GET", "shared")))).toEqual(
      Array(3).fill(next.value),
    );
  });

  test("advancing the clock past the ttl expires the lock: another owner gets it, the first cannot extend it", async () => {
    const fake = createFakeRedis({ nodes: 3, clock: () => START });
    const first = redlockOver(fake.nodes, { clock: fake.clock });
    const second = redlockOver(fake.nodes, { clock: fake.clock });
    const lock = await first.acquire("report", 10_000);
    fake.advance(9_000);
    expect(lock.isHeld()).toBe(true);
    await expect(second.acquire("report", 10_000, { retryCount: 0 })).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );
    fake.advance(1_000);
    // Its validity followed the fake clock: the lock knows it is no longer held.
    expect(lock.isHeld()).toBe(false);
    const other = await second.acquire("report", 10_000, { retryCount: 0 });
    expect(other.isHeld()).toBe(true);
    await expect(lock.extend(10_000)).rejects.toBeInstanceOf(LockError);
    expect(lock.isHeld()).toBe(false);
    // Releasing a lost lock leaves the new owner's keys alone.
    await lock.release().catch(() => undefined);
    expect(await fake.node.command("GET", "report")).toBe(other.value);
  });

  test("without the fake clock on the Redlock, the servers still expire the keys: the first owner learns it on extend", async () => {
    const fake = createFakeRedis({ clock: () => START });
    const redlock = redlockOver(fake.nodes);
    const lock = await redlock.acquire("lease", 5_000);
    fake.advance(5_000);
    expect(await fake.node.command("GET", "lease")).toBeNull();
    const other = await redlockOver(fake.nodes).acquire("lease", 5_000, { retryCount: 0 });
    // Its own clock (real time) says the lock is still valid, until the node says otherwise.
    expect(lock.isHeld()).toBe(true);
    await expect(lock.extend(5_000)).rejects.toBeInstanceOf(LockError);
    expect(await fake.node.command("GET", "lease")).toBe(other.value);
    expect(lock.isHeld()).toBe(false);
  });

  test("a waiter is woken by the release notification, with no time passing", async () => {
    const fake = createFakeRedis({ nodes: 3, clock: () => START });
    const holder = redlockOver(fake.nodes);
    const waiter = redlockOver(fake.nodes);
    const held = await holder.acquire("queue", 120_000);
    let got = false;
    const waiting = waiter.acquire("queue", 10_000, { timeout: 30_000 }).then((l) => {
      got = true;
      return l;
    });
    // The waiter found the lock held and listens for its release.
    await waitFor(
      async () =>
        ((await fake.node.command("PUBSUB", "CHANNELS", "*queue*")) as string[]).length === 1,
    );
    expect(got).toBe(false);
    await held.release();
    // The holder's ttl is two minutes, the waiter's timeout 30 s: only the notification wakes it.
    const lock = await waiting;
    expect(await fake.node.command("GET", "queue")).toBe(lock.value);
  });

  test("fencing tokens come from the fake servers' TIME and rise with each holder", async () => {
    const fake = createFakeRedis({ nodes: 3, clock: () => START });
    const redlock = redlockOver(fake.nodes);
    const first = await redlock.acquire("fenced", 1_000, { fencing: true });
    expect(first.fencingToken).toBe(BigInt(START) * 1_000n);
    await first.release();
    const second = await redlock.acquire("fenced", 1_000, { fencing: true });
    expect(second.fencingToken).toBe(BigInt(START) * 1_000n + 1n);
    await second.release();
    fake.advance(60_000);
    const third = await redlock.acquire("fenced", 1_000, { fencing: true });
    expect(third.fencingToken).toBe(BigInt(START + 60_000) * 1_000n);
  });

  test("fair locks are granted in arrival order", async () => {
    const fake = createFakeRedis({ nodes: 3 });
    const redlock = redlockOver(fake.nodes);
    const held = await redlock.acquire("line", 10_000, { fair: true });
    const order: string[] = [];
    const a = redlock.acquire("line", 10_000, { fair: true, timeout: 10_000 }).then((l) => {
      order.push("a");
      return l;
    });
    const queued = async (n: number) =>
      (await fake.node.command("ZCARD", "{line}:fair-queue")) === n;
    await waitFor(() => queued(1));
    const b = redlock.acquire("line", 10_000, { fair: true, timeout: 10_000 }).then((l) => {
      order.push("b");
      return l;
    });
    await waitFor(() => queued(2));
    await held.release();
    await (await a).release();
    await (await b).release();
    expect(order).toEqual(["a", "b"]);
  });

  test("a fresh fake is a fresh deployment: no restart quarantine holds a long ttl back", async () => {
    const fake = createFakeRedis({ nodes: 3 });
    const redlock = redlockOver(fake.nodes);
    const lock = await redlock.acquire("long", 600_000, { retryCount: 0 });
    expect(redlock.nodeStates().map((s) => s.quarantinedFor)).toEqual([0, 0, 0]);
    expect(lock.isHeld()).toBe(true);
  });

  test("a node restarted empty is quarantined until the locks it forgot have expired on the fake clock", async () => {
    const fake = createFakeRedis({ nodes: 3, clock: () => START });
    const redlock = redlockOver(fake.nodes, { clock: fake.clock });
    await redlock.acquire("before", 10_000).then((l) => l.release());
    fake.advance(60_000);
    fake.nodes[0]?.restart();
    fake.nodes[1]?.kill();
    // One node left that remembers: the restarted one does not count yet.
    await expect(redlock.acquire("after", 10_000, { retryCount: 0 })).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );
    fake.advance(11_000);
    const lock = await redlock.acquire("after", 10_000, { retryCount: 0 });
    expect(await fake.nodes[0]?.command("GET", "after")).toBe(lock.value);
  });
});

describe("LockManager on the fake", () => {
  test("getLock holds the lock by name; the cache stampede layer fetches once and serves from the fake", async () => {
    const fake = createFakeRedis({ nodes: 3, clock: () => START });
    const manager = managerOver({ redisNodes: fake.nodes });
    {
      await using handle = await manager.getLock("user:1", { ttl: 10_000 });
      expect(handle.hasLock()).toBe(true);
      expect(await fake.node.command("GET", "lock:user:1")).toBe(handle.value);
      expect(await manager.isLocked("user:1")).toBe(true);
    }
    expect(await manager.isLocked("user:1")).toBe(false);

    let fetches = 0;
    const fetch = async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { name: "Ada", fetch: fetches };
    };
    const [x, y] = await Promise.all([
      manager.protectCacheStampede("profile:1", fetch, { ttl: 60_000 }),
      manager.protectCacheStampede("profile:1", fetch, { ttl: 60_000 }),
    ]);
    expect(x).toEqual({ name: "Ada", fetch: 1 });
    expect(y).toEqual(x);
    expect(await manager.protectCacheStampede("profile:1", fetch, { ttl: 60_000 })).toEqual(x);
    expect(fetches).toBe(1);
    // Past its ttl on the fake clock the value is stale: the next call fetches again.
    fake.advance(60_000);
    expect(await manager.protectCacheStampede("profile:1", fetch, { ttl: 60_000 })).toEqual({
      name: "Ada",
      fetch: 2,
    });
  });

  test("getLock with returnStale: while another holds the lock, a handle without it and the cached value", async () => {
    const fake = createFakeRedis({ nodes: 3 });
    const holder = managerOver({ redisNodes: fake.nodes });
    const reader = managerOver({ redisNodes: fake.nodes });
    await holder.setCached("user:2", { name: "Grace" }, { ttl: 60_000 });
    const held = await holder.getLock("user:2", { ttl: 10_000 });
    const handle = await reader.getLock("user:2", { timeout: 500, returnStale: true });
    expect(handle.hasLock()).toBe(false);
    expect(handle.getStaleData()).toEqual({ name: "Grace" });
    await held.release();
  });

  test("a handle's lock expires when the fake clock passes its ttl: another manager gets it", async () => {
    const fake = createFakeRedis({ nodes: 3, clock: () => START });
    const first = managerOver({ redisNodes: fake.nodes });
    const second = managerOver({ redisNodes: fake.nodes });
    const handle = await first.getLock("slot", { ttl: 5_000 });
    expect(await second.tryLock("slot", { timeout: 0 })).toBe(false);
    fake.advance(5_000);
    expect(await second.tryLock("slot", { timeout: 0 })).toBe(true);
    await expect(handle.extendLock(5_000)).rejects.toBeInstanceOf(LockError);
    expect(handle.hasLock()).toBe(false);
  });

  test("@distributedLock runs the method holding the lock on the fake", async () => {
    const fake = createFakeRedis({ nodes: 3 });
    const manager = managerOver({ redisNodes: fake.nodes });
    class Orders {
      @distributedLock("order:{0}", { manager })
      async ship(id: number): Promise<unknown> {
        return fake.node.command("GET", `lock:order:${id}`);
      }
    }
    const orders = new Orders();
    const during = await orders.ship(42);
    expect(typeof during).toBe("string");
    expect(await fake.node.command("GET", "lock:order:42")).toBeNull();
  });
});

describe("createFakeRedis options", () => {
  test("bad options are refused with a message naming the field", () => {
    expect(() => createFakeRedis({ nodes: 0 })).toThrow(/nodes/);
    expect(() => createFakeRedis({ clock: 5 as unknown as () => number })).toThrow(/clock/);
    expect(() => createFakeRedis({ nodez: 3 } as never)).toThrow(LockConfigError);
    expect(() => {
      createFakeRedis().advance(-1);
    }).toThrow(LockConfigError);
  });
});
