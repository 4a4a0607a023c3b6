import { rmSync } from "node:fs";
import { expect, test } from "vitest";
import { formatReport } from "./checker.js";
import { runChaos } from "./run.js";

// A short bounded run for CI; `pnpm test:chaos --minutes N` runs longer ones.
const CHAOS_MS = 60_000;

test("five nodes under a nemesis: no two holders overlap, the fenced store never goes back", async () => {
  const result = await runChaos({ durationMs: CHAOS_MS });
  console.log(
    `chaos run, seed ${result.seed}, ${(result.elapsedMs / 1000).toFixed(1)} s:\n${formatReport(result.report)}`,
  );
  const { report } = result;
  expect(result.workerErrors).toEqual([]);
  expect(report.violations).toEqual([]);
  // The run really contended and really broke things: every kind of fault (flush-node and
  // restart-majority, which only the node markers can tell, included), several holders.
  expect(Object.keys(report.faults).sort()).toEqual([...result.kinds].sort());
  expect(Object.keys(report.acquisitionsByOwner).length).toBeGreaterThan(1);
  expect(report.acquisitions).toBeGreaterThan(50);
  rmSync(result.dir, { recursive: true, force: true });
}, 180_000);
