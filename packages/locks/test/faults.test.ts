import { describe, expect, test } from "vitest";
import {
  LockAcquisitionError,
  LockError,
  LockManager,
  LockTimeoutError,
  type NodeOutcome,
} from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";
import { MARKER_KEY } from "../src/redlock/quarantine.js";

const statuses = (nodes: readonly NodeOutcome[]) => nodes.map((o) => o.status);

describe("node failures with five nodes", () => {
  const env = useNodes(5);

  test("two nodes killed: locks still work", async () => {
    await env.nodes.server(0).kill();
    await env.nodes.server(3).kill();
    const redlock = env.redlock({ retryCount: 0 });
    const lock = await redlock.acquire("two-down", 10_000);
    await lock.extend(10_000);
    await lock.release();
    const alive = [1, 2, 4];
    await waitFor(async () => {
      const values = await Promise.all(
        alive.map(async (i) => (await env.nodes.inspect(i)).get("two-down")),
      );
      return values.every((v) => v === null);
    });
  });

  test("three nodes killed: acquisition fails with each dead node named", async () => {
    await Promise.all([0, 1, 2].map((i) => env.nodes.server(i).kill()));
    const redlock = env.redlock({ retryCount: 2, retryDelay: 10, retryJitter: 10 });
    const error = await redlock.acquire("three-down", 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    const failure = error as LockAcquisitionError;
    expect(failure.attempts).toBe(3);
    const dead = failure.nodes.filter((o) => o.status === "error");
    expect(dead.length).toBeGreaterThanOrEqual(3);
    for (const i of [0, 1, 2]) {
      expect(failure.message).toContain(`127.0.0.1:${env.nodes.server(i).port}`);
    }
  });

  test("a node that is down when the Redlock starts does not stop it", async () => {
    await env.nodes.server(4).kill();
    const redlock = env.redlock({ retryCount: 0 });
    const lock = await redlock.acquire("dead-at-start", 10_000);
    await lock.release();
  });

  test("a paused (SIGSTOP) node does not stall acquire, extend or release", async () => {
    await env.nodes.server(2).pause();
    const redlock = env.redlock({ retryCount: 0, commandTimeout: 300 });
    const lock = await redlock.acquire("paused", 10_000);
    await lock.extend(10_000);
    await lock.release();
    await env.nodes.server(2).resume();
    // Its queued acquire ran on resume, and the release queued behind it deleted it again.
    await waitFor(async () => (await env.nodes.values("paused")).every((v) => v === null));
  });

  test("quit() does not hang on a paused node", async () => {
    const redlock = env.redlock({ connectTimeout: 300 });
    (await redlock.acquire("before-pause", 10_000)).release().catch(() => undefined);
    await env.nodes.server(0).pause();
    await redlock.acquire("during-pause", 10_000).then((l) => l.release());
    await redlock.quit(); // closes gracefully where it can, destroys the paused node's client
    await env.nodes.server(0).resume();
  });

  test("a paused majority fails acquisition within the command timeout and leaves nothing", async () => {
    await Promise.all([0, 1, 2].map((i) => env.nodes.server(i).pause()));
    const redlock = env.redlock({ retryCount: 0, commandTimeout: 200 });
    const error = await redlock.acquire("majority-paused", 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect(
      statuses((error as LockAcquisitionError).nodes).filter((s) => s === "timeout"),
    ).toHaveLength(3);
    await Promise.all([0, 1, 2].map((i) => env.nodes.server(i).resume()));
    await waitFor(async () => (await env.nodes.values("majority-paused")).every((v) => v === null));
  });

  test("an unresponsive node is skipped until it answers again", async () => {
    await env.nodes.hold("skip", "someone-else", 60_000, [1, 2]);
    await env.nodes.server(0).pause();
    const redlock = env.redlock({ retryCount: 0, commandTimeout: 150 });
    const first = (await redlock
      .acquire("skip", 10_000)
      .catch((e: unknown) => e)) as LockAcquisitionError;
    expect(first.nodes[0]?.status).toBe("timeout");
    const second = (await redlock
      .acquire("skip", 10_000)
      .catch((e: unknown) => e)) as LockAcquisitionError;
    expect(second.nodes[0]).toMatchObject({
      status: "error",
      message: expect.stringMatching(/unresponsive/) as unknown,
    });
    await env.nodes.server(0).resume();
    await waitFor(async () => {
      const lock = await redlock.acquire("skip-after", 10_000).catch(() => undefined);
      if (lock === undefined) return false;
      await lock.release();
      return (await env.nodes.values("skip-after"))[0] === null;
    });
  });

  test("a node restarted empty mid-hold: release still succeeds on the rest", async () => {
    const redlock = env.redlock();
    const lock = await redlock.acquire("restarted", 10_000);
    await env.nodes.server(1).restart();
    expect((await env.nodes.values("restarted"))[1]).toBeNull();
    await lock.extend(10_000);
    await lock.release();
    await waitFor(async () => (await env.nodes.values("restarted")).every((v) => v === null));
  });

  test("a killed node comes back and is used again", async () => {
    const redlock = env.redlock({ retryCount: 0 });
    await env.nodes.server(0).kill();
    await env.nodes.server(1).kill();
    await env.nodes.server(2).kill();
    await expect(redlock.acquire("comeback", 10_000)).rejects.toBeInstanceOf(LockAcquisitionError);
    await Promise.all([0, 1, 2].map((i) => env.nodes.server(i).restart()));
    await waitFor(async () => {
      const lock = await redlock.acquire("comeback", 10_000).catch(() => undefined);
      if (lock === undefined) return false;
      await lock.release();
      return true;
    });
  });
});

describe("a majority gone (3 of 5 nodes)", () => {
  const env = useNodes(5);
  const majority = [0, 1, 2];
  const breakMajority = {
    killed: () => Promise.all(majority.map((i) => env.nodes.server(i).kill())),
    paused: () => Promise.all(majority.map((i) => env.nodes.server(i).pause())),
  };

  describe.each(Object.keys(breakMajority) as (keyof typeof breakMajority)[])("%s", (how) => {
    test("every acquire, however it waits, fails with LockAcquisitionError and nothing is held", async () => {
      const redlock = env.redlock({ commandTimeout: 150, retryDelay: 20, retryJitter: 20 });
      await breakMajority[how]();
      const calls = [
        redlock.acquire("gone", 5_000, { retryCount: 0 }),
        redlock.acquire("gone", 5_000, { retryCount: 3 }),
        redlock.acquire("gone", 5_000, { retryCount: -1, timeout: 600 }),
        redlock.acquire("gone", 5_000, { timeout: 0 }),
        redlock.acquire(["gone", "gone-too"], 5_000, { timeout: 400 }),
        redlock.acquire("gone-fair", 5_000, { fair: true, timeout: 400 }),
      ];
      const outcomes = await Promise.allSettled(calls);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(LockAcquisitionError);
      }
      // Those with a timeout and unbounded retries ended by it.
      expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(LockTimeoutError);
      // A scoped routine never runs.
      let ran = false;
      await expect(
        redlock.using("gone", 5_000, { retryCount: 1 }, () => {
          ran = true;
          return Promise.resolve();
        }),
      ).rejects.toBeInstanceOf(LockAcquisitionError);
      expect(ran).toBe(false);
      // The two live nodes were rolled back: nothing of ours is left to block anyone (the
      // node's marker stays: it blocks nobody, and tells a later loss of data).
      await waitFor(async () => {
        const live = await Promise.all(
          [3, 4].map(async (i) => (await env.nodes.inspect(i)).keys("*")),
        );
        return live.every((keys) => keys.every((k) => k === MARKER_KEY));
      });
    });

    test("a lock held when the majority goes is never extended, and stops being held", async () => {
      const redlock = env.redlock({ commandTimeout: 150 });
      const lock = await redlock.acquire("held-then-gone", 400);
      await breakMajority[how]();
      await expect(lock.extend(10_000)).rejects.toBeInstanceOf(LockError);
      await waitFor(() => !lock.isHeld());
      expect(lock.remaining).toBe(0);
      await expect(lock.release()).rejects.toBeInstanceOf(LockError);
    });

    test("using(): the routine's signal aborts once its lock can no longer be kept", async () => {
      const redlock = env.redlock({ commandTimeout: 150 });
      const lost = new Promise<LockError>((resolve) => {
        redlock.once("lost", (event) => {
          resolve(event.error);
        });
      });
      const run = redlock.using(
        "scoped-gone",
        600,
        { automaticExtensionThreshold: 300 },
        async (signal) => {
          await breakMajority[how]();
          await new Promise((resolve) => {
            signal.addEventListener("abort", resolve, { once: true });
          });
          return signal.reason as unknown;
        },
      );
      expect(await run).toBeInstanceOf(LockError);
      expect(await lost).toBeInstanceOf(LockError);
    });

    test("a LockManager: tryLock is false, getLock and withLock reject, none hangs", async () => {
      const manager = new LockManager({
        redisNodes: env.nodes.urls,
        commandTimeout: 150,
        retryDelay: 20,
        defaultTimeout: 400,
      });
      try {
        await breakMajority[how]();
        expect(await manager.tryLock("m-gone")).toBe(false);
        await expect(manager.getLock("m-gone")).rejects.toBeInstanceOf(LockAcquisitionError);
        let ran = false;
        await expect(
          manager.withLock("m-gone", () => {
            ran = true;
            return Promise.resolve();
          }),
        ).rejects.toBeInstanceOf(LockAcquisitionError);
        expect(ran).toBe(false);
        expect(await manager.isLocked("m-gone")).toBe(false);
      } finally {
        await manager.close();
      }
    });
  });
});
