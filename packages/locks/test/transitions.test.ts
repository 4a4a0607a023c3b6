import { describe, expect, test } from "vitest";
import {
  type Lock,
  LockAcquisitionError,
  LockManager,
  type NodeOutcome,
  Redlock,
} from "../src/index.js";
import { MARKER_KEY } from "../src/redlock/quarantine.js";
import { createClient } from "redis";
import { RedisServer } from "@quorum-locks/redis-servers";
import { LinkProxy } from "./chaos/proxy.js";
import { withClient } from "./fixtures/test-nodes.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";
import type { TestNodes } from "./fixtures/test-nodes.js";

// Transitions on the library's defaults: a fresh deployment, a node that loses its data
// (restart without persistence, FLUSHALL) while a lock is held, a late client, a failover.

/** How old node `i`'s marker is, by its own clock (ms); undefined when it has none. */
async function markerAge(nodes: TestNodes, i: number): Promise<number | undefined> {
  const client = await nodes.inspect(i);
  const [born, time] = await Promise.all([
    client.hGet(MARKER_KEY, "born"),
    client.sendCommand<[string, string]>(["TIME"]),
  ]);
  if (born == null) return undefined;
  return Number(time[0]) * 1_000 + Math.floor(Number(time[1]) / 1_000) - Number(born);
}

/** Waits until every node's marker is at least `ms` old (a deployment that has come of age). */
async function comeOfAge(nodes: TestNodes, ms: number): Promise<void> {
  await waitFor(
    async () => {
      const ages = await Promise.all(nodes.servers.map((_, i) => markerAge(nodes, i)));
      return ages.every((age) => age !== undefined && age >= ms);
    },
    { timeoutMs: ms + 10_000, intervalMs: 50 },
  );
}

/**
 * A Redlock over a deployment that has come of age: it took a lock of `ttl` (the nodes record
 * it), and every marker is now older than that quarantine.
 */
async function cameOfAge(
  env: { nodes: TestNodes; redlock(): Redlock },
  ttl: number,
): Promise<Redlock> {
  const redlock = env.redlock();
  await (await redlock.acquire("warm-up", ttl)).release();
  await comeOfAge(env.nodes, ttl + 100);
  return redlock;
}

/** One attempt that must fail; its error. */
async function refused(redlock: Redlock, resource: string, ttl: number) {
  const error = await redlock
    .acquire(resource, ttl, { retryCount: 0 })
    .then(async (lock: Lock) => {
      await lock.release();
      return new Error(`the lock was granted (${JSON.stringify(lock.resources)})`);
    })
    .catch((e: unknown) => e);
  if (!(error instanceof LockAcquisitionError)) throw error;
  return error;
}

const quarantined = (nodes: readonly NodeOutcome[]) =>
  nodes.filter((o) => o.status === "quarantined");

describe("transitions over 5 nodes, on the defaults", () => {
  const env = useNodes(5);

  test("a fresh deployment grants at once: first attempt, with and without a timeout", async () => {
    const started = performance.now();
    const redlock = env.redlock();
    const lock = await redlock.acquire("fresh", 30_000, { timeout: 1_000 });
    const firstLock = performance.now() - started;
    expect(lock.attempts).toBe(1);
    expect(lock.isHeld()).toBe(true);
    await lock.release();
    const manager = new LockManager({ redisNodes: env.nodes.urls });
    try {
      await using handle = await manager.getLock("fresh-manager", { timeout: 1_000 });
      expect(handle.hasLock()).toBe(true);
    } finally {
      await manager.close();
    }
    // Every node now carries a marker, born together.
    const ages = await Promise.all(env.nodes.servers.map((_, i) => markerAge(env.nodes, i)));
    expect(ages.every((a) => a !== undefined)).toBe(true);
    expect(firstLock).toBeLessThan(1_000);
  });

  test("a majority FLUSHALL of a fresh deployment while a lock is held: nobody else gets it", async () => {
    const a = env.redlock();
    const held = await a.acquire("flushed", 30_000);
    await env.nodes.settle("flushed", Array<string>(5).fill(held.value));
    await Promise.all([0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).flushAll()));
    // A client connected before, and one connecting only now.
    for (const b of [a, env.redlock()]) {
      const error = await refused(b, "flushed", 30_000);
      // A's key, set in the deployment's first moment, holds the young grants back.
      expect(["quarantined", "split"]).toContain(error.reason);
      expect(quarantined(error.nodes).length).toBeGreaterThanOrEqual(3);
      expect(error.nodes.filter((o) => o.status === "held").length).toBe(2);
    }
    expect(held.isHeld()).toBe(true);
  });

  test("after the deployment came of age, one flushed node is out for the recorded ttl", async () => {
    const ttl = 1_500;
    const a = await cameOfAge(env, ttl);
    // Held on exactly a quorum (nodes 0-2): a rival's failed attempt, a missed node.
    const held = await a.acquire("contended", ttl);
    await env.nodes.settle("contended", Array<string>(5).fill(held.value));
    await Promise.all([3, 4].map(async (i) => (await env.nodes.inspect(i)).del("contended")));
    await (await env.nodes.inspect(0)).flushAll();
    const b = env.redlock();
    const error = await refused(b, "contended", 200);
    expect(error.reason).toBe("quarantined");
    const out = quarantined(error.nodes);
    expect(out.map((o) => o.node)).toEqual([b.nodes[0]]);
    // The quarantine is the ttl the nodes recorded (A's), not B's own 200 ms.
    expect(out[0]?.status === "quarantined" ? out[0].ms : 0).toBeGreaterThan(ttl - 300);
    expect(held.isHeld()).toBe(true);
  });

  test("a late client after a majority restart: the restarted nodes wait out the quarantine", async () => {
    const ttl = 1_500;
    const a = await cameOfAge(env, ttl);
    const held = await a.acquire("restarted", ttl);
    await env.nodes.settle("restarted", Array<string>(5).fill(held.value));
    for (const i of [0, 1, 2]) {
      await env.nodes.server(i).kill();
      await env.nodes.server(i).restart();
    }
    const b = env.redlock();
    const error = await refused(b, "restarted", ttl);
    expect(error.reason).toBe("quarantined");
    expect(error.nodes.filter((o) => o.status === "held").length).toBe(2);
    // With a timeout, the acquisition waits for the quarantine to lapse (no retry burnt on
    // it) and gets the lock once A's has expired too.
    const lock = await b.acquire("restarted", ttl, { timeout: 6_000 });
    expect(lock.isHeld()).toBe(true);
    expect(held.isHeld()).toBe(false);
    await lock.release();
  });

  test("an acquisition held back only by quarantine fails at once when its timeout ends first", async () => {
    const ttl = 1_500;
    await cameOfAge(env, ttl);
    await Promise.all([0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).flushAll()));
    const b = env.redlock();
    const started = performance.now();
    const error = await b.acquire("short-timeout", ttl, { timeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).reason).toBe("quarantined");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("strictRestartQuarantine keeps young servers out, even in a fresh deployment", async () => {
    // Servers up for seconds; a 10-minute ttl recorded: none has been up that long.
    const redlock = env.redlock({ strictRestartQuarantine: true });
    const error = await refused(redlock, "strict", 600_000);
    expect(error.reason).toBe("quarantined");
    expect(quarantined(error.nodes).length).toBeGreaterThanOrEqual(3);
    // With a fixed length shorter than the servers' uptime, they count.
    const short = env.redlock({ strictRestartQuarantine: true, restartQuarantine: 1 });
    const lock = await short.acquire("strict-short", 1_000, { retryCount: 0 });
    await lock.release();
  });

  test("restartQuarantine: 0 writes no marker, and a flushed majority lets a second holder in", async () => {
    const a = env.redlock({ restartQuarantine: 0 });
    const held = await a.acquire("unguarded", 30_000);
    await env.nodes.settle("unguarded", Array<string>(5).fill(held.value));
    expect(await markerAge(env.nodes, 0)).toBeUndefined();
    await Promise.all([0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).flushAll()));
    const second = await env.redlock({ restartQuarantine: 0 }).acquire("unguarded", 30_000, {
      retryCount: 0,
    });
    expect(second.isHeld() && held.isHeld()).toBe(true); // the hazard the markers close
    await second.release();
  });

  test("the cache refresh lock counts quarantined nodes: a cold key is still fetched once", async () => {
    await cameOfAge(env, 1_500);
    await Promise.all([0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).flushAll()));
    const manager = new LockManager({ redisNodes: env.nodes.urls });
    try {
      let fetches = 0;
      const values = await Promise.all(
        Array.from({ length: 50 }, () =>
          manager.protectCacheStampede("cold-after-flush", () => {
            fetches++;
            return Promise.resolve(42);
          }),
        ),
      );
      expect(values.every((v) => v === 42)).toBe(true);
      expect(fetches).toBe(1);
      expect(manager.getStatistics().cache).toMatchObject({ degraded: 0 });
    } finally {
      await manager.close();
    }
  });
});

describe("a failover: the replica takes over behind the master's endpoint", () => {
  test("a late client and a connected one keep the promoted replica out; the lock stays single", async () => {
    const master = await RedisServer.start();
    // Writable, so that the test can take from it the key it "had not received yet".
    const replica = await RedisServer.start({
      args: ["--replicaof", "127.0.0.1", String(master.port), "--replica-read-only", "no"],
    });
    const others = await Promise.all([RedisServer.start(), RedisServer.start()]);
    const endpoint = await LinkProxy.start(master.port);
    const urls = [endpoint.url, ...others.map((s) => s.url)];
    const made: Redlock[] = [];
    const inspect = createClient({ url: replica.url });
    inspect.on("error", () => undefined);
    try {
      await inspect.connect();
      const a = new Redlock(urls);
      made.push(a);
      const held = await a.acquire("failover", 30_000);
      await waitFor(async () => (await inspect.get("failover")) === held.value);
      await waitFor(async () => (await inspect.hGet(MARKER_KEY, "run")) != null);
      // The replica missed the lock's key, and the lock is missing on the third node too: it
      // is left on exactly one of three, the last line of defence is the quarantine.
      await inspect.del("failover");
      await withClient(others[1].url, (c) => c.del("failover"));
      await inspect.sendCommand(["REPLICAOF", "NO", "ONE"]);
      endpoint.retarget(replica.port);
      await master.stop();
      const late = new Redlock(urls);
      made.push(late);
      const restarted: string[] = [];
      late.on("nodeRestarted", ({ node }) => restarted.push(node));
      for (const b of [late, a]) {
        let error: LockAcquisitionError | undefined;
        // A's connection to the endpoint breaks; until it is back, node 0 fails; then it is
        // quarantined, never a grant.
        await waitFor(
          async () => {
            error = await refused(b, "failover", 30_000);
            return error.nodes[0]?.status === "quarantined";
          },
          { intervalMs: 50 },
        );
        expect(error?.nodes[1]).toMatchObject({ status: "held" });
      }
      expect(restarted).toEqual([late.nodes[0]]);
      expect(held.isHeld()).toBe(true);
    } finally {
      inspect.destroy();
      await Promise.all(made.map((r) => r.quit()));
      await endpoint.stop();
      await Promise.all([master.stop(), replica.stop(), ...others.map((s) => s.stop())]);
    }
  });
});

describe("another server process behind an endpoint, with the old data (a snapshot reloaded)", () => {
  // Node 0 writes a snapshot (SAVE) and is restarted from it: its data, marker included, is
  // back, but served by another process, as after a failover to a replica.
  const env = useNodes(3);

  async function reloadFromSnapshot(): Promise<void> {
    await (await env.nodes.inspect(0)).sendCommand(["SAVE"]);
    await env.nodes.server(0).restart();
  }

  test("a client connecting only afterwards is told by the marker's owner", async () => {
    const a = env.redlock();
    const held = await a.acquire("reloaded", 30_000);
    await env.nodes.settle("reloaded", Array<string>(3).fill(held.value));
    await (await env.nodes.inspect(1)).del("reloaded"); // held on nodes 0 and 2 only
    await reloadFromSnapshot();
    await (await env.nodes.inspect(0)).del("reloaded"); // the replica had not got it yet
    const late = env.redlock();
    const restarted: string[] = [];
    late.on("nodeRestarted", ({ node }) => restarted.push(node));
    const error = await refused(late, "reloaded", 30_000);
    expect(restarted).toEqual([late.nodes[0]]);
    expect(error.nodes[0]).toMatchObject({ status: "quarantined" });
    expect(error.nodes[2]).toMatchObject({ status: "held" });
    expect(late.nodeStates()[0]?.quarantinedFor).toBeGreaterThan(0);
    expect(held.isHeld()).toBe(true);
  });

  test("a client connected across it sees the new run_id", async () => {
    const b = env.redlock();
    const held = await b.acquire("across", 30_000);
    await env.nodes.settle("across", Array<string>(3).fill(held.value));
    await waitFor(() => b.nodeStates().every((s) => s.runId !== undefined));
    const before = b.nodeStates()[0]?.runId;
    await (await env.nodes.inspect(1)).del("across");
    await reloadFromSnapshot();
    await (await env.nodes.inspect(0)).del("across");
    let error: LockAcquisitionError | undefined;
    // Until B's connection to node 0 is back, node 0 fails; then it is quarantined, never a grant.
    await waitFor(
      async () => {
        error = await refused(b, "across", 30_000);
        return error.nodes[0]?.status === "quarantined";
      },
      { intervalMs: 50 },
    );
    expect(error?.nodes[2]).toMatchObject({ status: "held" });
    expect(b.nodeStates()[0]?.runId).not.toBe(before);
    expect(held.isHeld()).toBe(true);
  });
});

describe("a node whose ACL user may not run INFO", () => {
  const env = useNodes(1, {
    args: ["--user", "locker", "on", ">locker-pw", "~*", "&*", "+@all", "-info"],
  });

  test("its markers still guard it, and nodeError says restarts cannot be watched", async () => {
    const url = env.nodes.urls[0]?.replace("redis://", "redis://locker:locker-pw@") ?? "";
    const redlock = env.redlock({}, [url]);
    const errors: string[] = [];
    redlock.on("nodeError", (_, error) => errors.push(error.message));
    const lock = await redlock.acquire("no-info", 10_000, { retryCount: 0 });
    await lock.release();
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatch(/cannot read INFO server or check the node's marker/);
    expect(errors.join("\n")).not.toContain("locker-pw");
    expect(redlock.nodeStates()[0]).toMatchObject({ upFor: undefined, quarantinedFor: 0 });
    expect(await markerAge(env.nodes, 0)).toBeGreaterThanOrEqual(0);
  });
});
