import { createClient } from "redis";
import { afterEach, expect, test } from "vitest";
import { useNodes, waitFor } from "../fixtures/vitest.js";
import { FencedStore } from "./fenced-store.js";

const env = useNodes(3);
let storage: ReturnType<typeof createClient> | undefined;
afterEach(() => {
  storage?.destroy();
  storage = undefined;
});

test("the store rejects a holder that paused past its lock, once a later holder wrote", async () => {
  storage = createClient({ url: env.nodes.server(0).url });
  await storage.connect();
  const store = new FencedStore(storage); // any Redis: here one of the lock nodes
  const redlock = env.redlock({ fencing: true });

  // A takes the lock, then "pauses" (a GC pause, a slow disk) until its lock has expired.
  const a = await redlock.acquire("invoice:7", 300);
  const tokenA = a.fencingToken as bigint;
  await waitFor(() => !a.isHeld());

  // B takes the lock and writes.
  const b = await redlock.acquire("invoice:7", 10_000, { timeout: 5_000 });
  const tokenB = b.fencingToken as bigint;
  expect(tokenB).toBeGreaterThan(tokenA);
  expect(await store.write("invoices/7", "written by B", tokenB)).toBe(true);

  // A wakes up and writes, believing it still holds the lock: the store refuses.
  expect(await store.write("invoices/7", "written by A", tokenA)).toBe(false);
  expect(await store.read("invoices/7")).toBe("written by B");
  // The holder itself may write again.
  expect(await store.write("invoices/7", "B again", tokenB)).toBe(true);
  await b.release();
});
