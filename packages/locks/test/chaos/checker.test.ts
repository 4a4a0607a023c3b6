import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { checkRun, formatReport, type RunLogs } from "./checker.js";
import {
  type FaultRecord,
  formatRecord,
  type HoldRecord,
  type StoreEntry,
  type WriteRecord,
} from "./records.js";
import { runFiles } from "./run-logs.js";

// Synthetic logs, times in ms (turned into ns).
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function hold(owner: string, seq: number, start: number, end: number, token?: number): HoldRecord {
  return {
    type: "hold",
    owner,
    seq,
    start: ns(start),
    end: ns(end),
    validEnd: ns(end),
    releasedAt: ns(end),
    token: token === undefined ? undefined : BigInt(token),
    attempts: 1,
  };
}

function write(h: HoldRecord, n: number, at: number, accepted: boolean): WriteRecord {
  return {
    type: "write",
    owner: h.owner,
    seq: h.seq,
    writer: `${h.owner}:${h.seq}:${n}`,
    token: h.token,
    checkedAt: ns(at),
    sentAt: ns(at),
    accepted,
  };
}

const entry = (w: WriteRecord): StoreEntry => ({
  writer: w.writer,
  token: w.token,
  accepted: w.accepted,
});

const fault = (kind: string): FaultRecord => ({
  type: "fault",
  kind,
  targets: ["0"],
  detail: "",
  start: 0n,
  end: 1n,
});

/** Two holders one after the other, each writing once, and a paused third whose write came late. */
function cleanRun(): RunLogs {
  const a = hold("w0", 1, 0, 100, 1);
  const b = hold("w1", 1, 150, 250, 2);
  // w2 was paused past its validity (400) and released at 620, after w0 took over at 450.
  const paused = { ...hold("w2", 1, 300, 400, 3), releasedAt: ns(620) };
  const c = hold("w0", 2, 450, 550, 4);
  const writes = [
    write(a, 0, 10, true),
    write(b, 0, 160, true),
    write(c, 0, 460, true),
    // w2 checked its lock at 310, was paused, and wrote at 600: after c, so rejected.
    { ...write(paused, 0, 310, false), sentAt: ns(600) },
  ];
  return {
    workers: [a, b, paused, c, ...writes],
    faults: [fault("pause-worker"), fault("kill-restart"), fault("kill-restart")],
    store: writes.map(entry),
  };
}

describe("the chaos checker", () => {
  test("a clean run has no violations, and the counts add up", () => {
    const report = checkRun(cleanRun());
    expect(report.violations).toEqual([]);
    expect(report.acquisitions).toBe(4);
    expect(report.acquisitionsByOwner).toEqual({ w0: 2, w1: 1, w2: 1 });
    expect(report.faults).toEqual({ "kill-restart": 2, "pause-worker": 1 });
    expect(report.fencing).toBe(true);
    expect(report.writes).toMatchObject({ total: 4, accepted: 3, late: 1, lateRejected: 1 });
    expect(report.beliefOverlaps).toBe(1);
    expect(formatReport(report)).toMatch(/violations: 0$/);
  });

  test("overlapping windows are a violation, by any amount", () => {
    const a = hold("w0", 1, 0, 100);
    const b = { ...hold("w1", 1, 100, 200), start: ns(100) - 1n };
    const report = checkRun({ workers: [a, b], faults: [], store: [] });
    expect(report.violations).toHaveLength(1);
    expect(report.violations[0]?.kind).toBe("overlap");
    expect(report.violations[0]?.message).toMatch(/w1#1 started .* while w0#1 held/);
    expect(formatReport(report)).toMatch(/violations: 1\n {2}overlap: /);
  });

  test("a window nested inside another is an overlap", () => {
    const outer = hold("w0", 1, 0, 500);
    const inner = hold("w1", 1, 100, 200);
    const after = hold("w2", 1, 300, 400);
    const kinds = checkRun({ workers: [outer, inner, after], faults: [], store: [] }).violations;
    expect(kinds.map((v) => v.kind)).toEqual(["overlap", "overlap"]);
  });

  test("without fencing, windows alone are checked", () => {
    const report = checkRun({
      workers: [hold("w0", 1, 0, 100), hold("w1", 1, 150, 250)],
      faults: [],
      store: [],
    });
    expect(report.fencing).toBe(false);
    expect(report.violations).toEqual([]);
  });

  test("a token not larger than the previous holder's is a violation", () => {
    const a = hold("w0", 1, 0, 100, 5);
    const b = hold("w1", 1, 150, 250, 5);
    const c = hold("w2", 1, 300, 400, 4);
    const kinds = checkRun({ workers: [a, b, c], faults: [], store: [] }).violations;
    expect(kinds.map((v) => v.kind)).toEqual(["token-order", "token-order"]);
  });

  test("a hold without a token in a fenced run is a violation", () => {
    const report = checkRun({
      workers: [hold("w0", 1, 0, 100, 1), hold("w1", 1, 150, 250)],
      faults: [],
      store: [],
    });
    expect(report.violations.map((v) => v.kind)).toEqual(["missing-token"]);
  });

  test("the store accepting an older token after a newer one is a violation", () => {
    const run = cleanRun();
    // The paused writer's write accepted, as by a store without the compare-and-set.
    const store = run.store.map((e) => (e.writer === "w2:1:0" ? { ...e, accepted: true } : e));
    const workers = run.workers.map((r) =>
      r.type === "write" && r.writer === "w2:1:0" ? { ...r, accepted: true } : r,
    );
    const report = checkRun({ ...run, workers, store });
    expect(report.violations.map((v) => v.kind)).toEqual(["stale-write-accepted"]);
    expect(report.violations[0]?.message).toMatch(/w2:1:0 with token 3 after w0:2:0 with token 4/);
  });

  test("a late write the store accepted before any newer holder wrote is no violation", () => {
    const a = hold("w0", 1, 0, 100, 1);
    const late = { ...write(a, 0, 50, true), sentAt: ns(150) };
    const report = checkRun({ workers: [a, late], faults: [], store: [entry(late)] });
    expect(report.violations).toEqual([]);
    expect(report.writes).toMatchObject({ late: 1, lateRejected: 0 });
  });

  test("one token used by two holders is a violation", () => {
    const a = hold("w0", 1, 0, 100, 7);
    const forged = { writer: "w1:9:0", token: 7n, accepted: true };
    const report = checkRun({ workers: [a], faults: [], store: [forged] });
    expect(report.violations.map((v) => v.kind)).toEqual(["token-order"]);
  });

  test("a worker and the store disagreeing about a write is a violation", () => {
    const run = cleanRun();
    const store = run.store.map((e) => (e.writer === "w1:1:0" ? { ...e, accepted: false } : e));
    const lost = run.store.filter((e) => e.writer !== "w0:1:0");
    expect(checkRun({ ...run, store }).violations.map((v) => v.kind)).toEqual(["logs-disagree"]);
    expect(checkRun({ ...run, store: lost }).violations.map((v) => v.kind)).toEqual([
      "logs-disagree",
    ]);
  });

  const permit = (h: HoldRecord, permits: number): HoldRecord => ({
    ...h,
    kind: "permit",
    permits,
  });
  const lease = (h: HoldRecord, kind: "read" | "write"): HoldRecord => ({ ...h, kind });
  const run = (workers: HoldRecord[], limit?: number): RunLogs => ({
    workers,
    faults: [],
    store: [],
    ...(limit === undefined ? {} : { limit }),
  });

  test("permits: up to the limit at once is fine; one more is a violation, naming the holds", () => {
    const shared = [
      permit(hold("w0", 1, 0, 100), 1),
      permit(hold("w1", 1, 50, 150), 1),
      permit(hold("w2", 1, 100, 200), 2), // starts as w0 ends: 1 + 2 would be 3, w0 is gone
    ];
    // Permits are not locks: two at once under a limit of 2 are no overlap.
    expect(checkRun(run(shared.slice(0, 2), 2))).toMatchObject({
      violations: [],
      permits: { limit: 2, peak: 2 },
    });
    const over = checkRun(run(shared, 2));
    expect(over.permits?.peak).toBe(3);
    expect(over.violations.map((v) => v.kind)).toEqual(["over-limit"]);
    expect(over.violations[0]?.message).toContain("3 permits held at 100.000 ms");
    expect(over.violations[0]?.message).toContain("w2#1 (2)");
  });

  test("leases: readers share; a writer overlapping a reader or a writer is a violation", () => {
    const readers = [lease(hold("w0", 1, 0, 100), "read"), lease(hold("w1", 1, 50, 150), "read")];
    const clean = checkRun(run([...readers, lease(hold("w2", 1, 150, 200), "write")]));
    expect(clean.violations).toEqual([]);
    expect(clean.peakReaders).toBe(2);
    expect(clean.holdsByKind).toEqual({ read: 2, write: 1 });
    const overReader = checkRun(run([...readers, lease(hold("w2", 1, 140, 200), "write")]));
    expect(overReader.violations.map((v) => v.kind)).toEqual(["writer-overlap"]);
    expect(overReader.violations[0]?.message).toContain("writer w2#1");
    const twoWriters = checkRun(
      run([lease(hold("w0", 1, 0, 100), "write"), lease(hold("w1", 1, 99, 150), "write")]),
    );
    expect(twoWriters.violations).toHaveLength(1); // one pair, reported once
  });

  describe("the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-locks-checker-"));
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const writeRun = (run: RunLogs) => {
      const lines = (records: readonly object[]) => records.map((r) => `${formatRecord(r)}\n`);
      writeFileSync(join(dir, runFiles.worker("all")), lines(run.workers).join(""));
      writeFileSync(join(dir, runFiles.faults), lines(run.faults).join(""));
      writeFileSync(join(dir, runFiles.store), lines(run.store).join(""));
    };
    const check = () =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", fileURLToPath(new URL("check.ts", import.meta.url)), dir],
        {
          encoding: "utf8",
        },
      );

    test("exits 0 on a clean run and 1 on a violation, printing the counts", () => {
      writeRun(cleanRun());
      const clean = check();
      expect(clean.stdout).toMatch(/acquisitions: 4 .*\n.*kill-restart 2, pause-worker 1/);
      expect(clean.status).toBe(0);
      writeRun({ ...cleanRun(), workers: [hold("w0", 1, 0, 100), hold("w1", 1, 50, 150)] });
      const broken = check();
      expect(broken.stdout).toMatch(/violations: 1\n {2}overlap: w1#1/);
      expect(broken.status).toBe(1);
    });
  });
});
