import { afterEach, expect, test } from "vitest";
import { createNodes } from "../src/client/node-inputs.js";
import { RedisNode } from "../src/client/redis-node.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

const env = useNodes(3);
const opened: RedisNode[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((n) => n.close()));
});

/** SUBSCRIBE commands node `i` has run since its stats were reset (INFO commandstats). */
async function subscribeCalls(i: number): Promise<number> {
  const info = await (await env.nodes.inspect(i)).info("commandstats");
  return Number(/cmdstat_subscribe:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

async function resetStats(): Promise<void> {
  await Promise.all(
    env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).configResetStat()),
  );
}

/** Channels node `i` has subscribers on. */
async function channels(i: number): Promise<number> {
  return (await (await env.nodes.inspect(i)).pubSubChannels()).length;
}

test("channels asked for in one tick go out as one multi-channel SUBSCRIBE", async () => {
  const [adapter] = createNodes(env.nodes.urls.slice(0, 1), {
    connectTimeout: 1_000,
    clientOptions: undefined,
    onError: () => undefined,
  });
  if (adapter === undefined) throw new Error("no adapter");
  const node = new RedisNode(adapter, 500);
  opened.push(node);
  const hub = node.channels;
  await resetStats();
  const n = 50;
  const got = new Array<number>(n).fill(0);
  const stops = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      hub.listen(`batch:${i}`, () => (got[i] = (got[i] ?? 0) + 1)),
    ),
  );
  expect(await subscribeCalls(0)).toBe(1);
  expect(await channels(0)).toBe(n);
  const inspect = await env.nodes.inspect(0);
  await Promise.all(got.map((_, i) => inspect.publish(`batch:${i}`, "released")));
  await waitFor(() => got.every((count) => count === 1));
  for (const stop of stops) stop();
  await waitFor(async () => (await channels(0)) === 0);
});

test("waiters started in one tick subscribe in a batch per node, and each wakes on its release", async () => {
  const n = 200;
  const resources = Array.from({ length: n }, (_, i) => `waiter:${i}`);
  const holder = env.redlock();
  // A long ttl: a waiter that acquires was woken by the release, not by the ttl running out.
  const held = await Promise.all(resources.map((r) => holder.acquire(r, 60_000)));
  const waiting = env.redlock();
  await (await waiting.acquire("warm", 10_000)).release();
  await resetStats();
  const waiters = resources.map((r) => waiting.acquire(r, 10_000, { timeout: 30_000 }));
  await waitFor(async () => (await Promise.all([0, 1, 2].map(channels))).every((c) => c === n));
  // One SUBSCRIBE per batch of waiters whose first attempts came back in the same event-loop
  // turn (or while the previous batch was in flight), not one per waiter.
  for (const i of [0, 1, 2]) expect(await subscribeCalls(i)).toBeLessThan(n / 2);
  await Promise.all(held.map((lock) => lock.release()));
  const locks = await Promise.all(waiters);
  expect(locks.map((lock) => lock.resources[0])).toEqual(resources);
  await Promise.all(locks.map((lock) => lock.release()));
});
