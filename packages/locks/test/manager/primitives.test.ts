import { describe, expect, test } from "vitest";
import { DeadlockError, LockAcquisitionError, LockConfigError } from "../../src/index.js";
import { deferred } from "../fixtures/deferred.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

describe("LockManager: semaphores and read-write locks by name", () => {
  const env = useManagers(3);

  test("withPermit lets at most `limit` routines run at once across two managers", async () => {
    const a = env.manager({ defaultTimeout: 60_000 });
    const b = env.manager({ defaultTimeout: 60_000 });
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const task = (manager: typeof a) =>
      manager.withPermit("pool", { limit: 2, ttl: 5_000 }, async (handle) => {
        expect(handle.hasLock()).toBe(true);
        running++;
        most = Math.max(most, running);
        const gate = deferred();
        gates.push(gate.resolve);
        await gate.promise;
        running--;
        return handle.resource;
      });
    const all = Promise.all([task(a), task(b), task(a), task(b)]);
    await waitFor(() => gates.length === 2);
    // Full: the two others wait for a release, on the semaphore `lock:pool` of the Redlock.
    const semaphore = a.getSemaphore("pool", { limit: 2 });
    expect(semaphore.name).toBe("lock:pool");
    expect(await semaphore.inUse()).toBe(2);
    expect(running).toBe(2);
    gates[0]?.();
    await waitFor(() => gates.length === 3);
    gates[1]?.();
    await waitFor(() => gates.length === 4);
    gates[2]?.();
    gates[3]?.();
    expect(await all).toEqual(["pool", "pool", "pool", "pool"]);
    expect(most).toBe(2);
    expect(await semaphore.inUse()).toBe(0);
    const kinds = [a, b].map((m) => m.getStatistics());
    expect(kinds.map((s) => s.kinds.permit)).toEqual([2, 2]);
    expect(kinds.map((s) => s.kinds.lock)).toEqual([0, 0]);
    expect(kinds.map((s) => s.locks.releases)).toEqual([2, 2]);
  });

  test("weighted permits are all or none, and a full semaphore times out", async () => {
    const manager = env.manager();
    await manager.withPermit("weights", { limit: 3, permits: 2 }, async () => {
      expect(await manager.getSemaphore("weights", { limit: 3 }).inUse()).toBe(2);
      const other = env.manager();
      await expect(
        other.withPermit("weights", { limit: 3, permits: 2, timeout: 0 }, () => "never"),
      ).rejects.toBeInstanceOf(LockAcquisitionError);
      expect(await other.withPermit("weights", { limit: 3 }, () => "one fits")).toBe("one fits");
    });
  });

  test("withPermit nested in withPermit: more permits while they fit, DeadlockError beyond", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const inner = await manager.withPermit("nest", { limit: 2 }, () =>
      manager.withPermit("nest", { limit: 2 }, async () =>
        manager.getSemaphore("nest", { limit: 2 }).inUse(),
      ),
    );
    expect(inner).toBe(2);
    const error = await manager
      .withPermit("nest", { limit: 2 }, () =>
        manager.withPermit("nest", { limit: 2 }, () =>
          manager.withPermit("nest", { limit: 2 }, () => "never"),
        ),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlockError);
    expect((error as Error).message).toMatch(/holds 2 of the semaphore's 2 permits/);
    await expect(
      manager.withPermit("heavy", { limit: 3, permits: 2 }, () =>
        manager.withPermit("heavy", { limit: 3, permits: 2 }, () => "never"),
      ),
    ).rejects.toBeInstanceOf(DeadlockError);
    expect(manager.getStatistics().locks.deadlocks).toBe(2);
    // Outside the nested holds, the whole limit is free again.
    expect(await manager.withPermit("nest", { limit: 2, permits: 2 }, () => "free again")).toBe(
      "free again",
    );
  });

  test("withReadLock shares with readers and excludes writers; withWriteLock excludes readers", async () => {
    const a = env.manager({ defaultTimeout: 60_000 });
    const b = env.manager({ defaultTimeout: 60_000 });
    const inside: string[] = [];
    const leave = deferred();
    const reader = (manager: typeof a, who: string) =>
      manager.withReadLock("doc", { ttl: 5_000 }, async (handle) => {
        expect(handle.hasLock()).toBe(true);
        inside.push(who);
        await leave.promise;
      });
    const readers = Promise.all([reader(a, "a"), reader(b, "b")]);
    await waitFor(() => inside.length === 2);
    await expect(
      b.withWriteLock("doc", { timeout: 0 }, () => "never while readers are in"),
    ).rejects.toBeInstanceOf(LockAcquisitionError);
    leave.resolve();
    await readers;

    const writing = deferred();
    const leaveWrite = deferred();
    const writer = a.withWriteLock("doc", async (handle) => {
      expect(handle.hasLock()).toBe(true);
      writing.resolve();
      await leaveWrite.promise;
      return "written";
    });
    await writing.promise;
    await expect(b.withReadLock("doc", { timeout: 0 }, () => "never")).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );
    await expect(b.withWriteLock("doc", { timeout: 0 }, () => "never")).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );
    leaveWrite.resolve();
    expect(await writer).toBe("written");
    expect(await b.withWriteLock("doc", { timeout: 0 }, () => "free")).toBe("free");
    expect(a.getStatistics().kinds).toEqual({ lock: 0, permit: 0, read: 1, write: 1 });
  });

  test("a read lock inside the write lock of the same name runs under the write lock", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const result = await manager.withWriteLock("ledger", async (write) =>
      manager.withReadLock("ledger", async (read) => {
        expect(read.hasLock()).toBe(true);
        expect(read.value).toBe(write.value);
        // Read inside read runs under the outer hold too (a second lease could queue behind a writer).
        return manager.withReadLock("ledger", (again) => again.value === write.value);
      }),
    );
    expect(result).toBe(true);
    expect(manager.getStatistics().kinds).toMatchObject({ read: 0, write: 1 });
    expect(manager.getStatistics().locks.releases).toBe(1);
  });

  test("a write lock inside a read lock of the same name is refused at once (upgrade deadlock)", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const error = await manager
      .withReadLock("upgrade", () => manager.withWriteLock("upgrade", () => "never"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlockError);
    expect((error as DeadlockError).resource).toBe("upgrade");
    expect((error as Error).message).toMatch(/cannot be upgraded/);
    // Nothing was tried for the write: one acquisition (the read), one wait, no failure.
    const stats = manager.getStatistics();
    expect(stats.kinds).toMatchObject({ read: 1, write: 0 });
    expect(stats.locks).toMatchObject({ deadlocks: 1, failures: 0, timeouts: 0, releases: 1 });
    expect(stats.waits.count).toBe(1);
    // Even `reentrant: true` does not make an upgrade possible.
    await expect(
      manager.withReadLock("upgrade", () =>
        manager.withWriteLock("upgrade", { reentrant: true }, () => "never"),
      ),
    ).rejects.toBeInstanceOf(DeadlockError);
    // Write inside write: DeadlockError, or with reentrant: true inside the outer hold.
    await expect(
      manager.withWriteLock("upgrade", () => manager.withWriteLock("upgrade", () => "never")),
    ).rejects.toBeInstanceOf(DeadlockError);
    expect(
      await manager.withWriteLock("upgrade", (outer) =>
        manager.withWriteLock(
          "upgrade",
          { reentrant: true },
          (inner) => inner.value === outer.value,
        ),
      ),
    ).toBe(true);
  });

  test("a mutex, a semaphore and a read-write lock of one name are independent", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const result = await manager.withLock("same", () =>
      manager.withPermit("same", { limit: 1 }, () =>
        manager.withWriteLock("same", () => "all three held"),
      ),
    );
    expect(result).toBe("all three held");
    expect(manager.getStatistics().kinds).toEqual({ lock: 1, permit: 1, read: 0, write: 1 });
  });

  test("bad arguments are LockConfigErrors and send nothing", async () => {
    const manager = env.manager();
    const run = () => "never";
    const bad = [
      // @ts-expect-error -- limit is required
      () => manager.withPermit("p", {}, run),
      () => manager.withPermit("p", { limit: 0 }, run),
      () => manager.withPermit("p", { limit: 1.5 }, run),
      () => manager.withPermit("p", { limit: 2000 }, run),
      () => manager.withPermit("p", { limit: 2, permits: 3 }, run),
      () => manager.withPermit("p", { limit: 2, permits: 0 }, run),
      // @ts-expect-error -- autoExtend is not an option: the permit is always extended
      () => manager.withPermit("p", { limit: 2, autoExtend: true }, run),
      () => manager.withPermit("", { limit: 2 }, run),
      // @ts-expect-error -- the routine must be a function
      () => manager.withPermit("p", { limit: 2 }, "run"),
      () => manager.withReadLock("r", { reentrant: true }, run),
      () => manager.withReadLock("r", { ttl: -1 }, run),
      () => manager.withWriteLock("r", { intentTtl: 5 }, run),
      // @ts-expect-error -- unknown option
      () => manager.withWriteLock("r", { limit: 2 }, run),
      // @ts-expect-error -- the routine must be a function
      () => manager.withWriteLock("r", {}),
      () => manager.withWriteLock("r", { retryDelay: 500, timeout: 100 }, run),
    ];
    for (const call of bad) await expect(call()).rejects.toBeInstanceOf(LockConfigError);
    // @ts-expect-error -- limit is required
    expect(() => manager.getSemaphore("p", {})).toThrow(LockConfigError);
    expect(() => manager.getReadWriteLock("r", { intentTtl: 1 })).toThrow(LockConfigError);
    const stats = manager.getStatistics();
    expect(stats.waits.count).toBe(0);
    expect(stats.locks.acquisitions + stats.locks.failures).toBe(0);
  });
});
