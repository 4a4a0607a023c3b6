import { expect, test } from "vitest";
import { useManagers } from "../fixtures/managers.js";
import { runWorker } from "../fixtures/workers.js";

const env = useManagers(3);

test("4 processes × 250 concurrent callers on one missing key: the fetcher runs once", async () => {
  const results = await Promise.all(
    Array.from({ length: 4 }, () =>
      runWorker("stampede-caller", [env.nodes.urls.join(","), "quote:AAPL", "250", "4"]),
    ),
  );
  const reports = results.map(
    (r) =>
      JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
        ok: number;
        stats: { fetcherRuns: number; misses: number; hits: number };
      },
  );
  expect(reports.map((r) => r.ok)).toEqual([250, 250, 250, 250]);
  expect(reports.reduce((sum, r) => sum + r.stats.fetcherRuns, 0)).toBe(1);
  // A caller whose read came after the write counts as a hit; every other one waited.
  expect(reports.map((r) => r.stats.misses + r.stats.hits)).toEqual([250, 250, 250, 250]);
  const client = await env.nodes.inspect(0);
  expect(await client.get("quote:AAPL:fetcher-runs")).toBe("1");
});
