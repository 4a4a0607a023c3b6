import { expect, test } from "vitest";
import { useManagers } from "../fixtures/managers.js";
import { runWorker } from "../fixtures/workers.js";

const env = useManagers(3);

/** 4 processes × 250 concurrent callers of `key`; checks the fetcher ran once in all. */
async function stampede(key: string): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: 4 }, () =>
      runWorker("stampede-caller", [env.nodes.urls.join(","), key, "250", "4"]),
    ),
  );
  const reports = results.map(
    (r) =>
      JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
        ok: number;
        stats: { fetcherRuns: number; misses: number; hits: number; degraded: number };
      },
  );
  expect(reports.map((r) => r.ok)).toEqual([250, 250, 250, 250]);
  expect(reports.reduce((sum, r) => sum + r.stats.fetcherRuns, 0)).toBe(1);
  expect(reports.reduce((sum, r) => sum + r.stats.degraded, 0)).toBe(0);
  // A caller whose read came after the write counts as a hit; every other one waited.
  expect(reports.map((r) => r.stats.misses + r.stats.hits)).toEqual([250, 250, 250, 250]);
  const client = await env.nodes.inspect(0);
  expect(await client.get(`${key}:fetcher-runs`)).toBe("1");
}

test("4 processes × 250 concurrent callers on one missing key: the fetcher runs once", async () => {
  await stampede("quote:AAPL");
});

test("right after a majority of the nodes restarted empty, the fetcher still runs once", async () => {
  // Locks were taken before (the nodes carry markers); two of three restart: their votes are
  // quarantined, and the refresh lock, an efficiency lock, counts them.
  const manager = env.manager();
  await (await manager.getLock("warm-up", { ttl: 5_000 })).release();
  for (const i of [0, 1]) {
    await env.nodes.server(i).kill();
    await env.nodes.server(i).restart();
  }
  await stampede("quote:MSFT");
});
