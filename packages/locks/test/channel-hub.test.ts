import { afterEach, expect, test } from "vitest";
import { createNodes } from "../src/client/node-inputs.js";
import { RedisNode } from "../src/client/redis-node.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

const env = useNodes(1);
const opened: RedisNode[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((n) => n.close()));
});

function node(timeout = 500): RedisNode {
  const [adapter] = createNodes(env.nodes.urls, {
    connectTimeout: 1_000,
    clientOptions: undefined,
    onError: () => undefined,
  });
  if (adapter === undefined) throw new Error("no adapter");
  const created = new RedisNode(adapter, timeout);
  opened.push(created);
  return created;
}

async function subscribers(channel: string): Promise<number> {
  const reply = (await (await env.nodes.inspect(0)).pubSubNumSub(channel)) as Record<
    string,
    number
  >;
  return reply[channel] ?? 0;
}

test("listeners get the channel's messages until they stop", async () => {
  const hub = node().channels;
  const a: string[] = [];
  const b: string[] = [];
  const stopA = await hub.listen("news", (m) => a.push(m));
  const stopB = await hub.listen("news", (m) => b.push(m));
  expect(await subscribers("news")).toBe(1); // one connection, one subscription
  await (await env.nodes.inspect(0)).publish("news", "first");
  await waitFor(() => a.length === 1 && b.length === 1);
  stopA();
  await (await env.nodes.inspect(0)).publish("news", "second");
  await waitFor(() => b.length === 2);
  expect(a).toEqual(["first"]);
  stopB();
  await waitFor(async () => (await subscribers("news")) === 0);
});

test("a paused node cannot stall listen(): it resolves after the timeout", async () => {
  const hub = node(200).channels;
  await env.nodes.server(0).pause();
  const stop = await hub.listen("paused", () => undefined);
  stop();
  await env.nodes.server(0).resume();
});

test("subscriptions come back after the node restarts", async () => {
  const hub = node().channels;
  const got: string[] = [];
  await hub.listen("again", (m) => got.push(m));
  await env.nodes.server(0).restart();
  await waitFor(async () => (await subscribers("again")) === 1, { intervalMs: 20 });
  await (await env.nodes.inspect(0)).publish("again", "back");
  await waitFor(() => got.length === 1);
});
