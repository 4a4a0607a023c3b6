import { setImmediate as turn } from "node:timers/promises";
import { expect, test } from "vitest";
import type { LockHandle } from "../../src/index.js";
import { useManagers, waitFor } from "../fixtures/managers.js";

/** Live (ref'd) timers of this process, as Node counts them. */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

const env = useManagers(3);

test("autoExtend locks share the batched renewal: lock info kept, released without a timer per lock", async () => {
  const manager = env.manager();
  const lost: string[] = [];
  manager.on("lost", (name) => lost.push(name));
  const baseline = timers();
  const count = 1_000;
  const ttl = 3_000;
  const handles: LockHandle[] = [];
  for (let start = 0; start < count; start += 250) {
    const slice = Array.from({ length: Math.min(250, count - start) }, (_, i) =>
      manager.getLock(`auto:${start + i}`, { ttl, timeout: 30_000, autoExtend: true }),
    );
    handles.push(...(await Promise.all(slice)));
  }
  const from = manager.getStatistics().locks.extensions;
  // Two extensions of every lock: the first locks are then well past their first ttl.
  await waitFor(() => manager.getStatistics().locks.extensions - from >= 2 * count, {
    timeoutMs: 30_000,
  });
  expect(lost).toEqual([]);
  expect(handles.every((h) => h.hasLock())).toBe(true);
  // The lock info rode along with the extensions: still there, as recorded at acquisition.
  const info = await manager.getLockInfo("auto:3");
  expect(info?.owner).toBe(handles[3]?.value);
  expect(info?.ttl).toBe(ttl);
  expect(info?.acquiredAt).toBeTypeOf("number");

  // In slices, as they were taken: a thousand release rounds at once could time out here.
  for (let start = 0; start < count; start += 250) {
    await Promise.all(handles.slice(start, start + 250).map((h) => h.release()));
  }
  // Right after the releases resolved (and on the next turns, when lock info is deleted).
  let most = timers() - baseline;
  for (let i = 0; i < 20; i++) {
    await turn();
    most = Math.max(most, timers() - baseline);
  }
  expect(most).toBeLessThanOrEqual(10);
  // Every record deleted, in a few DELs.
  await waitFor(async () =>
    (await env.nodes.keys("lock-info:auto:*")).every((k) => k.length === 0),
  );
  expect((await env.nodes.keys("lock:auto:*")).every((k) => k.length === 0)).toBe(true);
  expect(lost).toEqual([]);
});
