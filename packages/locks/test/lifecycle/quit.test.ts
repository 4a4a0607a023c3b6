import { describe, expect, test } from "vitest";
import { LockOwnershipError, type ReleasedEvent } from "../../src/index.js";
import { HeldRegistry, type Releasable } from "../../src/redlock/held.js";
import { useManagers } from "../fixtures/managers.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

describe("quit() releases what the Redlock still holds", () => {
  const env = useNodes(3);

  test("another Redlock acquires at once, far before the ttl", async () => {
    const a = env.redlock();
    const single = await a.acquire("quit:one", 60_000);
    const several = await a.acquire(["quit:a", "quit:b"], 60_000, { fencing: true });
    const adopted = a.adopt(
      JSON.parse(JSON.stringify(await env.redlock().acquire("quit:x", 60_000))),
    );
    await a.quit();
    expect(single.isHeld()).toBe(false);
    expect(several.isHeld()).toBe(false);
    expect(adopted.isHeld()).toBe(false);
    const b = env.redlock({ retryCount: 0 });
    for (const resources of [["quit:one"], ["quit:a", "quit:b"], ["quit:x"]]) {
      await (await b.acquire(resources, 10_000)).release();
    }
  });

  test("a lock released before quit is not released twice; quitting twice is a no-op", async () => {
    const a = env.redlock();
    const released: ReleasedEvent[] = [];
    a.on("released", (event) => released.push(event));
    const early = await a.acquire("quit:early", 60_000);
    const late = await a.acquire("quit:late", 60_000);
    await early.release();
    // Someone else holds the name now: quit must not touch it.
    const other = await env.redlock({ retryCount: 0 }).acquire("quit:early", 60_000);
    await a.quit();
    await a.quit();
    expect(released.map((e) => e.resources)).toEqual([["quit:early"], ["quit:late"]]);
    expect(late.isHeld()).toBe(false);
    await env.nodes.settle("quit:early", [other.value, other.value, other.value]);
    await env.nodes.settle("quit:late", [null, null, null]);
    await other.release();
  });

  test("a lock serialized for another process is handed off: quit leaves it held", async () => {
    const a = env.redlock();
    const lock = await a.acquire("quit:handed", 60_000);
    const wire = JSON.stringify(lock);
    await a.quit();
    await env.nodes.settle("quit:handed", [lock.value, lock.value, lock.value]);
    const same = env.redlock().adopt(JSON.parse(wire));
    await same.release();
    await env.nodes.settle("quit:handed", [null, null, null]);
  });

  test("a routine under using() sees its signal abort with a LockOwnershipError; the lock is released", async () => {
    const a = env.redlock();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const result = a.using("quit:using", 3_000, async (signal) => {
      started();
      await new Promise((resolve) => {
        signal.addEventListener("abort", resolve, { once: true });
      });
      return signal.reason as unknown;
    });
    await running;
    await a.quit();
    const reason = await result;
    expect(reason).toBeInstanceOf(LockOwnershipError);
    expect((reason as Error).message).toMatch(/quit/);
    // Released, not extended any more: a single try succeeds at once.
    const b = env.redlock({ retryCount: 0 });
    await (await b.acquire("quit:using", 10_000)).release();
  });

  // The releases wait commandTimeout at most; closing a client whose node does not answer waits
  // connectTimeout at most (it is then destroyed).
  test("with a stopped node, quit still finishes within about commandTimeout", async () => {
    const commandTimeout = 500;
    const connectTimeout = 500;
    const a = env.redlock({ commandTimeout, connectTimeout });
    await a.acquire("quit:stopped", 60_000);
    await env.nodes.server(2).pause();
    const started = performance.now();
    await a.quit();
    // Generous: the machine is loaded. Without the bound it would wait for the stopped node.
    expect(performance.now() - started).toBeLessThan(commandTimeout + connectTimeout + 4_000);
    // The two live nodes released: a quorum is free at once.
    await (await env.redlock({ retryCount: 0 }).acquire("quit:stopped", 10_000)).release();
    await env.nodes.server(2).resume();
  });

  test("with every node stopped, quit still finishes within about commandTimeout", async () => {
    const commandTimeout = 500;
    const connectTimeout = 500;
    const a = env.redlock({ commandTimeout, connectTimeout });
    await a.acquire("quit:dead", 60_000);
    await a.acquire("quit:dead2", 60_000);
    for (const i of [0, 1, 2]) await env.nodes.server(i).pause();
    const started = performance.now();
    await a.quit();
    expect(performance.now() - started).toBeLessThan(commandTimeout + connectTimeout + 4_000);
    for (const i of [0, 1, 2]) await env.nodes.server(i).resume();
  });
});

describe("a LockManager's close() releases through its Redlock", () => {
  const env = useManagers(3);

  test("getLock handles, tryLock locks and withLock routines are freed at once", async () => {
    const manager = env.manager();
    await manager.getLock("m:handle", { ttl: 60_000 });
    expect(await manager.tryLock("m:try", { ttl: 60_000 })).toBe(true);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const routine = manager.withLock(
      "m:with",
      async (handle) => {
        started();
        await new Promise((resolve) => {
          handle.signal.addEventListener("abort", resolve, { once: true });
        });
        return handle.signal.reason as unknown;
      },
      { ttl: 3_000 },
    );
    await running;
    await manager.close();
    expect(await routine).toBeInstanceOf(LockOwnershipError);
    const other = env.manager();
    for (const name of ["m:handle", "m:try", "m:with"]) {
      expect(await other.tryLock(name, { ttl: 10_000, timeout: 0 })).toBe(true);
    }
    await manager.close(); // twice: a no-op
  });
});

describe("the registry of holds", () => {
  const hold = (held: () => boolean, release = () => Promise.resolve()): Releasable => ({
    isHeld: held,
    release,
  });

  test("holds let expire without a release are swept: it does not grow without bound", () => {
    const registry = new HeldRegistry();
    for (let i = 0; i < 10_000; i++) registry.add(hold(() => false));
    expect(registry.size).toBeLessThan(512);
    const live = hold(() => true);
    registry.add(live);
    for (let i = 0; i < 1_000; i++) registry.add(hold(() => false));
    registry.delete(live);
    expect(registry.size).toBeLessThan(512);
  });

  test("releaseAll stops the watchdogs first, releases only what is held, and never waits past its bound", async () => {
    const registry = new HeldRegistry();
    const order: string[] = [];
    registry.onQuit(() => order.push("stop"));
    const unregistered = registry.onQuit(() => order.push("never"));
    unregistered();
    registry.add(
      hold(
        () => true,
        () => {
          order.push("release");
          return new Promise(() => undefined); // a node that never answers
        },
      ),
    );
    registry.add(
      hold(
        () => false,
        () => {
          order.push("expired");
          return Promise.resolve();
        },
      ),
    );
    registry.add(
      hold(
        () => true,
        () => {
          throw new Error("synchronous failure");
        },
      ),
    );
    await registry.releaseAll(50);
    expect(order).toEqual(["stop", "release"]);
    expect(registry.size).toBe(0);
    await waitFor(() => true);
  });
});
