import { RedisServer } from "@quorum-locks/redis-servers";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  LockAcquisitionError,
  LockConfigError,
  LockExtensionError,
  type NodeOutcome,
  Redlock,
  type RedlockOptions,
} from "../src/index.js";
import { TapAdapter } from "./fixtures/tap-adapter.js";
import { withClient } from "./fixtures/test-nodes.js";
import { waitFor } from "./fixtures/vitest.js";

const NOT_REPLICATED = /only 0 of 1 replicas confirmed the write within \d+ ms \(minReplicas\)/;
// The library's default commandTimeout: the test timing a paused replica's refusal uses it.
const COMMAND_TIMEOUT = 500;
const CONFIRM_TIMEOUT = 2_000;

/** A node's vote failed because its replica did not confirm the write. */
function expectNotReplicated(outcome: NodeOutcome | undefined): void {
  expect(outcome?.status).toBe("error");
  expect(outcome !== undefined && "message" in outcome ? outcome.message : "").toMatch(
    NOT_REPLICATED,
  );
}

describe("minReplicas: grants count once WAIT confirms the replicas have them", () => {
  let master: RedisServer;
  let replica: RedisServer;
  const made: Redlock[] = [];

  beforeAll(async () => {
    master = await RedisServer.start();
    replica = await RedisServer.start({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
    // Started is not synced: wait for the master to see its replica online.
    await waitFor(() =>
      withClient(master.url, async (c) => (await c.info("replication")).includes("state=online")),
    );
  });
  afterEach(async () => {
    replica.resume();
    await Promise.all(made.splice(0).map((r) => r.quit()));
    await withClient(master.url, (c) => c.flushAll());
  });
  afterAll(async () => {
    await Promise.all([replica.stop(), master.stop()]);
  });

  const redlock = (options?: RedlockOptions): Redlock => {
    // WAIT waits 3/4 of commandTimeout for the replica's acknowledgement. With the replica up,
    // these tests are about the confirmation, not its speed: on a loaded machine (the whole
    // suite on two cores) an acknowledgement took longer than the default's 375 ms.
    const r = new Redlock([master.url], {
      commandTimeout: CONFIRM_TIMEOUT,
      minReplicas: 1,
      ...options,
    });
    made.push(r);
    return r;
  };
  const onReplica = (key: string) => withClient(replica.url, (c) => c.get(key));
  const onMaster = (key: string) => withClient(master.url, (c) => c.get(key));

  test("with the replica up, acquire and extend work and the key is on the replica", async () => {
    const lock = await redlock({ retryCount: 0 }).acquire("replicated", 10_000);
    // WAIT answered: the replica has it already, no waiting needed.
    expect(await onReplica("replicated")).toBe(lock.value);
    await lock.extend(10_000);
    await lock.release();
  });

  test("with the replica paused, acquisition fails within its timeout, saying why, and leaves nothing", async () => {
    const locks = redlock({ commandTimeout: COMMAND_TIMEOUT, retryDelay: 20, retryJitter: 20 });
    await (await locks.acquire("warm-up", 1_000)).release();
    replica.pause();
    const startedAt = performance.now();
    const error = await locks
      .acquire("unreplicated", 10_000, { timeout: 1_000, retryCount: -1 })
      .catch((e: unknown) => e);
    const took = performance.now() - startedAt;
    expect(error).toBeInstanceOf(LockAcquisitionError);
    // The timeout, plus at most the attempt in flight when it ran out.
    expect(took).toBeLessThan(1_000 + 2 * COMMAND_TIMEOUT);
    const nodes = (error as LockAcquisitionError).nodes;
    expect(nodes).toHaveLength(1);
    expectNotReplicated(nodes[0]);
    expect((error as Error).message).toMatch(NOT_REPLICATED);
    // The failed attempt was rolled back on the master.
    await waitFor(async () => (await onMaster("unreplicated")) === null);
    replica.resume();
    const lock = await locks.acquire("unreplicated", 10_000, { timeout: 5_000 });
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });

  test("an extension that the replica does not confirm does not count", async () => {
    const lock = await redlock({ retryCount: 0 }).acquire("extend-unreplicated", 10_000);
    const before = lock.expiration;
    replica.pause();
    const error = await lock.extend(60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockExtensionError);
    const nodes: readonly NodeOutcome[] = (error as LockExtensionError).nodes;
    expectNotReplicated(nodes[0]);
    expect(lock.expiration).toBe(before);
    expect(lock.isHeld()).toBe(true);
    replica.resume();
    await lock.extend(60_000);
    expect(lock.expiration).toBeGreaterThan(before);
    await lock.release();
  });

  test("the per-call option overrides the Redlock's, and asking more replicas than exist fails", async () => {
    const locks = redlock({ minReplicas: 0, retryCount: 0 });
    const error = await locks
      .acquire("two-replicas", 10_000, { minReplicas: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as Error).message).toMatch(/only 1 of 2 replicas confirmed/);
    const lock = await locks.acquire("two-replicas", 10_000, { minReplicas: 1 });
    // Its extensions ask for the acquisition's minReplicas, which the replica confirms.
    await lock.extend(10_000);
    await lock.release();
  });

  test("WAIT goes out right behind the script, before its reply: no extra round trip", async () => {
    const tap = new TapAdapter(master.url);
    const sentBeforeReply: string[][][] = [];
    tap.onReply = (args) => {
      if (args[0] === "EVAL" || args[0] === "EVALSHA") sentBeforeReply.push([...tap.sent]);
    };
    const locks = new Redlock([tap], { minReplicas: 1 });
    try {
      const lock = await locks.acquire("pipelined", 10_000);
      await lock.release();
      const first = sentBeforeReply[0] ?? [];
      const script = first.findIndex((c) => c[0] === "EVAL" || c[0] === "EVALSHA");
      expect(first[script + 1]).toEqual(["WAIT", "1", String(Math.floor(500 * 0.75))]);
    } finally {
      await locks.quit();
      await tap.close();
    }
  });
});

describe("minReplicas: validation", () => {
  test.each([-1, 1.5, "x", Number.NaN])("%s is refused with LockConfigError", async (bad) => {
    const minReplicas = bad as number;
    let error: unknown;
    try {
      new Redlock(["redis://127.0.0.1:1"], { minReplicas });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LockConfigError);
    expect((error as LockConfigError).field).toBe("options.minReplicas");
    // Per call: refused before anything is sent (the node does not even exist).
    const redlock = new Redlock(["redis://127.0.0.1:1"], { connectTimeout: 100 });
    try {
      await expect(redlock.acquire("x", 1_000, { minReplicas })).rejects.toBeInstanceOf(
        LockConfigError,
      );
      await expect(
        redlock.using("x", 1_000, { minReplicas }, () => Promise.resolve()),
      ).rejects.toBeInstanceOf(LockConfigError);
    } finally {
      await redlock.quit();
    }
  });

  test("a Redis Cluster client is refused: WAIT could not reach the shard of the keys", () => {
    const cluster = {
      label: "cluster:fake",
      cluster: true,
      firstConnection: Promise.resolve(),
      connectionSettled: true,
      sendCommand: () => Promise.reject(new Error("not used")),
      close: () => Promise.resolve(),
    };
    expect(() => new Redlock([cluster], { minReplicas: 1 })).toThrow(/Redis Cluster/);
    const redlock = new Redlock([cluster]);
    return expect(redlock.acquire("x", 1_000, { minReplicas: 1 })).rejects.toThrow(LockConfigError);
  });
});
