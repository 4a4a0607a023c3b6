import { afterEach, expect, test } from "vitest";
import { createNodes } from "../src/client/node-inputs.js";
import { RedisNode } from "../src/client/redis-node.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

// Twice the default commandTimeout (500 ms): the round's timer is overdue when the loop frees.
const BLOCK = 1_000;

/** Blocks the event loop for `ms`, as a burst of thousands of commands does. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spinning on purpose: no I/O is read meanwhile.
  }
}

/** Resolves in the check phase: the commands sent before are on the wire, no reply read yet. */
function afterWrites(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const env = useNodes(3);
const opened: RedisNode[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((n) => n.close()));
});

test("replies that arrived while the event loop was blocked past commandTimeout count", async () => {
  const redlock = env.redlock();
  const down: string[] = [];
  redlock.on("nodeDown", (event: { node: string }) => down.push(event.node));
  // Connections open and scripts cached, so the attempt below is one round trip per node.
  await (await redlock.acquire("busy-warm", 10_000)).release();

  const acquiring = redlock.acquire("busy", 10_000);
  await afterWrites();
  busyWait(BLOCK);
  const lock = await acquiring;
  // Granted by the first round: no node was judged timed out, none was marked down.
  expect(lock.attempts).toBe(1);
  expect(down).toEqual([]);
  await lock.release();
});

test("a bounded command is not timed out while its reply waits to be read", async () => {
  const [adapter] = createNodes(env.nodes.urls.slice(0, 1), {
    connectTimeout: 1_000,
    clientOptions: undefined,
    onError: () => undefined,
  });
  if (adapter === undefined) throw new Error("no adapter");
  const node = new RedisNode(adapter, 200);
  opened.push(node);
  await node.command(["PING"], 200);
  const ping = node.command(["PING"], 200);
  await afterWrites();
  busyWait(BLOCK);
  await expect(ping).resolves.toBe("PONG");
});

test("after rounds no node answered, the waiter backs off instead of polling every retryDelay", async () => {
  const redlock = env.redlock({ retryDelay: 20, retryJitter: 1 });
  await (await redlock.acquire("silent-warm", 10_000)).release();
  await Promise.all(env.nodes.servers.map((s) => s.pause()));
  const acquiring = redlock.acquire("silent", 10_000, { timeout: 30_000 });
  const pausedAt = performance.now();
  // Every node silent for 2 s: polling every 20 ms would make about a hundred attempts.
  await waitFor(() => performance.now() - pausedAt >= 2_000, { timeoutMs: 5_000 });
  await Promise.all(env.nodes.servers.map((s) => s.resume()));
  const lock = await acquiring;
  // Backing off, doubling up to 16 × 20 ms: a dozen or so, however long the pause ran.
  expect(lock.attempts).toBeLessThan(40);
  await lock.release();
});

test("10,000 auto-extended locks are all kept while a busy loop holds the CPU between awaits", async () => {
  const redlock = env.redlock({ retryCount: -1 });
  const lost: unknown[] = [];
  redlock.on("lost", ({ error }) => lost.push(error));
  let extensions = 0;
  redlock.on("extended", () => extensions++);
  const count = 10_000;
  const signals: AbortSignal[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const routines: Promise<void>[] = [];
  // Taken in slices, so that the acquisitions themselves do not time out on a loaded machine.
  for (let start = 0; start < count; start += 500) {
    const slice: Promise<void>[] = [];
    for (let i = start; i < start + 500; i++) {
      let held!: () => void;
      slice.push(
        new Promise<void>((resolve) => {
          held = resolve;
        }),
      );
      routines.push(
        redlock.using(`kept:${i}`, 3_000, async (signal) => {
          signals.push(signal);
          held();
          await released;
        }),
      );
    }
    await Promise.all(slice);
  }
  const from = extensions;
  // Two extensions of every lock (about five seconds), the loop busy 50 ms at a time, with
  // one turn between: timers fire late and replies wait, as under a saturated CPU.
  while (extensions - from < 2 * count && lost.length === 0) {
    busyWait(50);
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(lost).toEqual([]);
  expect(signals.filter((s) => s.aborted).length).toBe(0);
  release();
  const ended = await Promise.allSettled(routines);
  expect(ended.every((r) => r.status === "fulfilled")).toBe(true);
}, 180_000);
