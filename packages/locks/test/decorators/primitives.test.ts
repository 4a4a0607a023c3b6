// The decorators for semaphores and read-write locks (TC39 standard decorators).
import { describe, expect, test } from "vitest";
import {
  DeadlockError,
  LockConfigError,
  type LockManager,
  readLock,
  withPermit,
  writeLock,
} from "../../src/index.js";
import { deferred } from "../fixtures/deferred.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

function makeReports(manager: () => LockManager) {
  class Reports {
    running = 0;
    most = 0;
    readonly gates: (() => void)[] = [];

    @withPermit("render:{0}", { limit: 2, timeout: 60_000, manager })
    async render(tenant: string): Promise<string> {
      this.running++;
      this.most = Math.max(this.most, this.running);
      const gate = deferred();
      this.gates.push(gate.resolve);
      await gate.promise;
      this.running--;
      return `report of ${tenant}`;
    }

    @readLock("doc:{0}", { manager })
    async read(id: number): Promise<string> {
      return Promise.resolve(`doc ${id}`);
    }

    @writeLock("doc:{0}", { manager })
    async write(id: number): Promise<string> {
      // A write implies the read: the read-locked method runs under this write lock.
      return `wrote then read ${await this.read(id)}`;
    }

    @readLock("doc:{0}", { manager })
    async readThenWrite(id: number): Promise<string> {
      return this.write(id);
    }
  }
  return new Reports();
}

describe("withPermit, readLock and writeLock decorators", () => {
  const env = useManagers(3);

  test("@withPermit runs at most `limit` calls at once across two managers", async () => {
    const a = makeReports(() => managerA);
    const b = makeReports(() => managerB);
    const managerA = env.manager();
    const managerB = env.manager();
    const calls = Promise.all([a.render("t1"), b.render("t1"), a.render("t1"), b.render("t1")]);
    const entered = () => a.gates.length + b.gates.length;
    await waitFor(() => entered() === 2);
    expect(await managerA.getSemaphore("render:t1", { limit: 2 }).inUse()).toBe(2);
    const open = () => {
      for (const go of [...a.gates.splice(0), ...b.gates.splice(0)]) go();
    };
    open();
    await waitFor(() => entered() === 2);
    open();
    expect(await calls).toEqual(Array(4).fill("report of t1"));
    expect(a.running + b.running).toBe(0);
    // Over both managers, never more than the limit inside at once.
    expect(Math.max(a.most, b.most)).toBeLessThanOrEqual(2);
    expect(managerA.getStatistics().kinds.permit + managerB.getStatistics().kinds.permit).toBe(4);
  });

  test("@readLock inside @writeLock runs; @writeLock inside @readLock is a DeadlockError", async () => {
    const manager = env.manager({ defaultTimeout: 60_000 });
    const reports = makeReports(() => manager);
    expect(await reports.write(7)).toBe("wrote then read doc 7");
    await expect(reports.readThenWrite(7)).rejects.toBeInstanceOf(DeadlockError);
    expect(manager.getStatistics().kinds).toMatchObject({ read: 1, write: 1 });
    expect(manager.getStatistics().locks.deadlocks).toBe(1);
  });

  test("bad options fail when the class is defined", () => {
    // @ts-expect-error -- limit is required
    expect(() => withPermit("x", {})).toThrow(LockConfigError);
    expect(() => withPermit("x", { limit: 0 })).toThrow(/options\.limit/);
    expect(() => withPermit("x", { limit: 2, permits: 3 })).toThrow(LockConfigError);
    expect(() => readLock("x", { reentrant: true })).toThrow(/only applies to writeLock/);
    expect(() => writeLock("x", { ttl: -5 })).toThrow(LockConfigError);
    const define = () => {
      class Broken {
        @writeLock("doc:{1}")
        async one(_id: number): Promise<void> {
          // never called
        }
      }
      return Broken;
    };
    expect(define).toThrow(/\{1\} names argument 1/);
  });
});
