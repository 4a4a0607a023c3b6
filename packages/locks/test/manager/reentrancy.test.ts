import { describe, expect, test } from "vitest";
import { DeadlockError } from "../../src/index.js";
import { useManagers } from "../fixtures/managers.js";

describe("deadlock detection and reentrancy (AsyncLocalStorage)", () => {
  const env = useManagers(1);

  test("acquiring a name the async context holds throws DeadlockError instead of waiting", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const error = await manager
      .withLock("job", () => manager.withLock("job", () => "never"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlockError);
    expect((error as Error).message).toMatch(/reentrant: true/);
    await expect(
      manager.withLock("job", async () => manager.getLock("job", { timeout: 60_000 })),
    ).rejects.toBeInstanceOf(DeadlockError);
    expect(manager.getStatistics().locks.deadlocks).toBe(2);
    expect(await manager.isLocked("job")).toBe(false); // the outer holds were released
  });

  test("the hold is seen by tasks started inside it, through awaits and timers", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const error = await manager
      .withLock("deep", async () => {
        await new Promise((r) => setTimeout(r, 1));
        return Promise.all([manager.getLock("deep")]);
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlockError);
  });

  test("a task a scope left behind holds nothing once the scope has ended", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    let scopeEnded!: () => void;
    const ended = new Promise<void>((resolve) => (scopeEnded = resolve));
    let leftBehind: Promise<string> | undefined;
    await manager.withLock("chore", () => {
      // Started inside the scope, it runs on after the scope released the lock.
      leftBehind = ended.then(() => manager.withLock("chore", () => "acquired afresh"));
      return "done";
    });
    scopeEnded();
    expect(await leftBehind).toBe("acquired afresh");
    expect(manager.getStatistics().locks).toMatchObject({ acquisitions: 2, deadlocks: 0 });
  });

  test("reentrant: true nests inside the hold; only the outermost holder releases", async () => {
    const manager = env.manager();
    await manager.withLock("outer", async (outer) => {
      await manager.withLock(
        "outer",
        async (middle) => {
          expect(middle.value).toBe(outer.value);
          await using inner = await manager.getLock("outer", { reentrant: true });
          expect(inner.hasLock()).toBe(true);
          expect(inner.value).toBe(outer.value);
        },
        { reentrant: true },
      );
      // the nested handles released nothing
      expect(outer.hasLock()).toBe(true);
      expect(await manager.isLocked("outer")).toBe(true);
    });
    expect(await manager.isLocked("outer")).toBe(false);
    expect(manager.getStatistics().locks).toMatchObject({ acquisitions: 1, releases: 1 });
  });

  test("independent tasks of one process wait for each other; no false deadlock", async () => {
    const manager = env.manager();
    const order: string[] = [];
    await Promise.all(
      ["a", "b", "c"].map((task) =>
        manager.withLock("shared", async () => {
          order.push(`${task} in`);
          await new Promise((r) => setImmediate(r));
          order.push(`${task} out`);
        }),
      ),
    );
    expect(order).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) expect(order[i + 1]).toBe(order[i]?.replace("in", "out"));
    expect(manager.getStatistics().locks.deadlocks).toBe(0);
  });

  test("holds of one manager do not affect another", async () => {
    const a = env.manager();
    const b = env.manager({ defaultTimeout: 100 });
    const error = await a.withLock("cross", () => b.getLock("cross")).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DeadlockError); // b simply waits for a's lock, and times out
    expect((error as Error).name).toBe("LockTimeoutError");
  });
});
