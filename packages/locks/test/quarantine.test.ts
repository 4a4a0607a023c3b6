import { beforeAll, describe, expect, test } from "vitest";
import { type Lock, LockAcquisitionError, type NodeOutcome, type Redlock } from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

/** Long enough that a single attempt right after a restart lands well inside it. */
const QUARANTINE = 4_000;
const QUARANTINED = /restarted recently: its votes count in \d+ ms \(restartQuarantine\)/;

function expectQuarantined(outcome: NodeOutcome | undefined): void {
  expect(outcome?.status).toBe("error");
  expect(outcome?.status === "error" ? outcome.message : "").toMatch(QUARANTINED);
}

/** The outcome of one attempt that must fail. */
async function failedAttempt(
  redlock: Redlock,
  resource: string,
  ttl = 30_000,
): Promise<NodeOutcome[]> {
  const error = await redlock
    .acquire(resource, ttl, { retryCount: 0 })
    .then(async (lock: Lock) => {
      await lock.release();
      return new Error("the lock was granted");
    })
    .catch((e: unknown) => e);
  if (!(error instanceof LockAcquisitionError)) throw error;
  return [...error.nodes];
}

describe("restart quarantine over 3 nodes", () => {
  const env = useNodes(3);

  beforeAll(async () => {
    // Nodes that have been up longer than the quarantine count from the first connection.
    await waitFor(
      async () => {
        const uptimes = await Promise.all(
          env.nodes.servers.map(async (_, i) => {
            const info = await (await env.nodes.inspect(i)).info("server");
            return Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1] ?? 0);
          }),
        );
        return uptimes.every((s) => s * 1_000 >= QUARANTINE + 2_000);
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  }, 30_000);

  /**
   * A holds `account` on nodes 0 and 1 only (node 2 lost its key: it missed the acquisition,
   * or its copy was removed); then node 1 restarts empty. A's key survives on node 0 alone.
   * (A counts every node: an earlier test may have restarted node 1 moments ago.)
   */
  async function holdThroughRestart(): Promise<Lock> {
    const a = env.redlock({ restartQuarantine: 0 });
    const lock = await a.acquire("account", 30_000);
    await env.nodes.settle("account", [lock.value, lock.value, lock.value]);
    await (await env.nodes.inspect(2)).del("account");
    await env.nodes.server(1).kill();
    await env.nodes.server(1).restart();
    return lock;
  }

  test("a client first connecting to nodes up longer than the quarantine counts them all", async () => {
    const redlock = env.redlock({ restartQuarantine: QUARANTINE });
    const lock = await redlock.acquire("fresh-client", 10_000, { retryCount: 0 });
    expect(lock.attempts).toBe(1);
    await lock.release();
    // A round is decided on its quorum: the last node's INFO may still be on its way.
    await waitFor(() => redlock.nodeStates().every((s) => s.runId !== undefined));
    for (const state of redlock.nodeStates()) {
      expect(state.runId).toMatch(/^[0-9a-f]{40}$/);
      expect(state.upFor).toBeGreaterThanOrEqual(QUARANTINE);
      expect(state.quarantinedFor).toBe(0);
    }
  });

  test("with the quarantine, a second client cannot take a lock held through a node's restart", async () => {
    const held = await holdThroughRestart();
    const b = env.redlock({ restartQuarantine: QUARANTINE });
    const nodes = await failedAttempt(b, "account");
    expect(nodes[0]).toMatchObject({ status: "held" });
    expectQuarantined(nodes[1]);
    // Node 2 granted, unless the round was already lost without its reply.
    expect(["granted", "pending"]).toContain(nodes[2]?.status);
    expect(b.nodeStates()[1]?.quarantinedFor).toBeGreaterThan(0);
    expect(held.isHeld()).toBe(true);
    // The failed attempt took its key back from the nodes that granted, quarantined or not.
    await env.nodes.settle("account", [held.value, null, null]);
  });

  test("a client connected before the restart notices it on reconnecting", async () => {
    const b = env.redlock({ restartQuarantine: QUARANTINE });
    await (await b.acquire("warm-up", 1_000)).release();
    await waitFor(() => b.nodeStates().every((s) => s.runId !== undefined));
    const before = b.nodeStates()[1]?.runId;
    const restarted: string[] = [];
    b.on("nodeRestarted", ({ node, quarantinedFor }) => {
      restarted.push(node);
      expect(quarantinedFor).toBeGreaterThan(0);
    });
    const held = await holdThroughRestart();
    // B's connection to node 1 broke; until it reconnects, node 1 fails. Never a grant.
    let nodes: NodeOutcome[] = [];
    await waitFor(
      async () => {
        nodes = await failedAttempt(b, "account");
        return nodes[1]?.status === "error" && QUARANTINED.test(nodes[1].message);
      },
      { intervalMs: 50 },
    );
    expect(nodes[0]).toMatchObject({ status: "held" });
    expect(b.nodeStates()[1]?.runId).not.toBe(before);
    expect(restarted).toEqual([b.nodes[1]]);
    expect(held.isHeld()).toBe(true);
  });

  test("without the quarantine, the second client wins: two holders at once", async () => {
    const held = await holdThroughRestart();
    const b = env.redlock({ restartQuarantine: 0 });
    const second = await b.acquire("account", 30_000, { retryCount: 0 });
    expect(second.isHeld()).toBe(true);
    expect(held.isHeld()).toBe(true); // the hazard the quarantine closes
    await second.release();
  });

  test("a restarted node counts again once its quarantine has passed", async () => {
    await env.nodes.server(1).kill();
    await env.nodes.server(1).restart();
    await env.nodes.hold("busy", "someone-else", 60_000, [0]);
    const b = env.redlock({ restartQuarantine: 1_000 });
    const first = await failedAttempt(b, "busy");
    expectQuarantined(first[1]);
    let lock: Lock | undefined;
    await waitFor(
      async () => {
        lock = await b.acquire("busy", 30_000, { retryCount: 0 }).catch(() => undefined);
        return lock !== undefined;
      },
      { intervalMs: 100 },
    );
    expect(b.nodeStates()[1]?.quarantinedFor).toBe(0);
    await lock?.release();
  });

  test("by default the quarantine is the largest ttl the client has asked for", async () => {
    await env.nodes.server(1).kill();
    await env.nodes.server(1).restart();
    const b = env.redlock({ restartQuarantine: undefined });
    // ttl 2 s: node 1 (just restarted) is out, nodes 0 and 2 (up for longer) count.
    const short = await b.acquire("short", 2_000, { retryCount: 0 });
    await short.release();
    const states = b.nodeStates();
    expect(states[1]?.quarantinedFor).toBeGreaterThan(0);
    expect(states[1]?.quarantinedFor).toBeLessThanOrEqual(2_000);
    expect([states[0]?.quarantinedFor, states[2]?.quarantinedFor]).toEqual([0, 0]);
    // A ttl of 10 minutes: no node has been up that long, so none counts.
    const nodes = await failedAttempt(b, "long", 600_000);
    const quarantined = nodes.filter((o) => o.status === "error" && QUARANTINED.test(o.message));
    // Decided once two of three could no longer count: the third may be left pending.
    expect(quarantined.length).toBeGreaterThanOrEqual(2);
    expect(nodes.every((o) => o.status === "pending" || quarantined.includes(o))).toBe(true);
  });
});

describe("a node whose ACL user may not run INFO", () => {
  const env = useNodes(1, {
    args: ["--user", "locker", "on", ">locker-pw", "~*", "&*", "+@all", "-info"],
  });

  test("counts as long up, and nodeError says the quarantine cannot watch it", async () => {
    const url = env.nodes.urls[0]?.replace("redis://", "redis://locker:locker-pw@") ?? "";
    const redlock = env.redlock({ restartQuarantine: 60_000 }, [url]);
    const errors: string[] = [];
    redlock.on("nodeError", (_, error) => errors.push(error.message));
    const lock = await redlock.acquire("no-info", 10_000, { retryCount: 0 });
    await lock.release();
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatch(/cannot read INFO server, so the restart quarantine cannot tell/);
    expect(errors.join("\n")).not.toContain("locker-pw");
    expect(redlock.nodeStates()[0]).toMatchObject({ upFor: undefined, quarantinedFor: 0 });
  });
});
