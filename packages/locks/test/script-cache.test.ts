import { expect, test } from "vitest";
import { useNodes } from "./fixtures/vitest.js";

const env = useNodes(3);

/** Calls of `command` node `i` has run (INFO commandstats). */
async function calls(i: number, command: string): Promise<number> {
  const info = await (await env.nodes.inspect(i)).info("commandstats");
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

// Thousands of acquisitions started in one tick on a new connection used to send the script's
// source once each (EVAL until a reply said it was cached): 10,000 × 5 nodes × 2 KB for the
// nodes to parse before they answered anything.
test("acquisitions started together on a new connection send the script in full once", async () => {
  const redlock = env.redlock();
  const before = await calls(0, "eval");
  const locks = await Promise.all(
    Array.from({ length: 300 }, (_, i) => redlock.acquire(`cached:${i}`, 10_000)),
  );
  expect(locks.every((lock) => lock.isHeld())).toBe(true);
  // The acquire script, plus the marker check a new connection runs.
  expect((await calls(0, "eval")) - before).toBeLessThanOrEqual(2);
  expect(await calls(0, "evalsha")).toBeGreaterThanOrEqual(299);
  await Promise.all(locks.map((lock) => lock.release()));
});

test("after SCRIPT FLUSH under a live connection the scripts are sent in full again", async () => {
  const redlock = env.redlock();
  await (await redlock.acquire("flushed", 10_000)).release();
  await Promise.all(
    env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).scriptFlush()),
  );
  const lock = await redlock.acquire("flushed", 10_000);
  expect(lock.isHeld()).toBe(true);
  await lock.release();
});
