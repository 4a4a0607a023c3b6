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
  // The run really contended and really broke things: every kind of fault (flush-node,
  // flush-holder and restart-majority, which only the node markers can tell, included), several
  // holders, long holds among them (flush-holder aims at those).
  expect(Object.keys(report.faults).sort()).toEqual([...result.kinds].sort());
  expect(Object.keys(report.acquisitionsByOwner).length).toBeGreaterThan(1);
  expect(report.acquisitions).toBeGreaterThan(50);
  expect(report.longHolds).toBeGreaterThan(5);
  rmSync(result.dir, { recursive: true, force: true });
}, 180_000);

// The harness's own power: with the restart quarantine off, flushing a live lock's holders down
// to fewer than a quorum must let a second holder in while the first still holds, and the
// checker must see it. (Every flush-holder with the quarantine off has broken a hold so far.)
test("with the restart quarantine off, flush-holder makes two holders overlap and the checker sees it", async () => {
  const result = await runChaos({ durationMs: 6_000, kinds: ["flush-holder"], quarantine: 0 });
  const overlaps = result.report.violations.filter((v) => v.kind === "overlap");
  console.log(
    `chaos run without quarantine, seed ${result.seed}, ${(result.elapsedMs / 1000).toFixed(1)} s:\n${formatReport(result.report)}`,
  );
  expect(result.workerErrors).toEqual([]);
  expect(result.report.faults["flush-holder"]).toBeGreaterThan(0);
  expect(overlaps.length).toBeGreaterThan(0);
  rmSync(result.dir, { recursive: true, force: true });
}, 60_000);

// The same nemesis on the other primitives, 25 s of faults each (about 40 s a run): permits of a semaphore of limit 2
// (single permits and requests for both), and the read and write leases of a read-write lock.
const SCHEDULE_MS = 25_000;

test("a semaphore of limit 2 under the nemesis: never more than 2 permits held at once", async () => {
  const result = await runChaos({ schedule: "semaphore", limit: 2, durationMs: SCHEDULE_MS });
  console.log(
    `semaphore chaos run, seed ${result.seed}, ${(result.elapsedMs / 1000).toFixed(1)} s:\n${formatReport(result.report)}`,
  );
  const { report } = result;
  expect(result.workerErrors).toEqual([]);
  expect(report.violations).toEqual([]);
  expect(report.permits?.limit).toBe(2);
  // The run really shared the permits, and really broke things.
  expect(report.permits?.peak).toBe(2);
  expect(report.holdsByKind["permit"]).toBeGreaterThan(50);
  expect(Object.keys(report.acquisitionsByOwner).length).toBeGreaterThan(1);
  expect(Object.keys(report.faults).length).toBeGreaterThanOrEqual(4);
  rmSync(result.dir, { recursive: true, force: true });
}, 120_000);

test("a read-write lock under the nemesis: readers share, a writer never overlaps any hold", async () => {
  const result = await runChaos({ schedule: "read-write", durationMs: SCHEDULE_MS });
  console.log(
    `read-write chaos run, seed ${result.seed}, ${(result.elapsedMs / 1000).toFixed(1)} s:\n${formatReport(result.report)}`,
  );
  const { report } = result;
  expect(result.workerErrors).toEqual([]);
  expect(report.violations).toEqual([]);
  expect(report.holdsByKind["read"]).toBeGreaterThan(20);
  expect(report.holdsByKind["write"]).toBeGreaterThan(10);
  expect(report.peakReaders).toBeGreaterThan(1); // readers did share
  expect(Object.keys(report.faults).length).toBeGreaterThanOrEqual(4);
  rmSync(result.dir, { recursive: true, force: true });
}, 120_000);
