import { describe, expect, test } from "vitest";
import { useNodes } from "../fixtures/vitest.js";
import { runWorker } from "../fixtures/workers.js";

interface RwHold {
  readonly owner: string;
  readonly kind: "read" | "write";
  readonly start: bigint;
  readonly end: bigint;
}

function parseRwHolds(text: string): RwHold[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => {
      const raw = JSON.parse(line) as {
        owner: string;
        kind: "read" | "write";
        start: string;
        end: string;
      };
      return { owner: raw.owner, kind: raw.kind, start: BigInt(raw.start), end: BigInt(raw.end) };
    });
}

/**
 * Pairs of holds that a read-write lock must never let overlap: a write hold with any other
 * hold. Readers overlapping readers are fine. Quadratic, independent of the lock's code.
 */
function violations(holds: readonly RwHold[]): [RwHold, RwHold][] {
  const found: [RwHold, RwHold][] = [];
  for (let i = 0; i < holds.length; i++) {
    for (let j = i + 1; j < holds.length; j++) {
      const a = holds[i] as RwHold;
      const b = holds[j] as RwHold;
      if (a.kind === "read" && b.kind === "read") continue;
      if (a.start < b.end && b.start < a.end) found.push([a, b]);
    }
  }
  return found;
}

/** Pairs of read holds that overlapped: readers really shared the lock. */
function sharedReads(holds: readonly RwHold[]): number {
  let shared = 0;
  const reads = holds.filter((h) => h.kind === "read");
  for (let i = 0; i < reads.length; i++) {
    for (let j = i + 1; j < reads.length; j++) {
      const a = reads[i] as RwHold;
      const b = reads[j] as RwHold;
      if (a.owner !== b.owner && a.start < b.end && b.start < a.end) shared++;
    }
  }
  return shared;
}

describe("the read-write checker", () => {
  const hold = (owner: string, kind: "read" | "write", start: number, end: number): RwHold => ({
    owner,
    kind,
    start: BigInt(start),
    end: BigInt(end),
  });

  test("flags a writer overlapping anyone, accepts overlapping readers", () => {
    expect(violations([hold("a", "read", 0, 10), hold("b", "read", 5, 20)])).toEqual([]);
    expect(violations([hold("a", "write", 0, 10), hold("b", "read", 5, 20)])).toHaveLength(1);
    expect(violations([hold("a", "read", 0, 100), hold("b", "write", 50, 60)])).toHaveLength(1);
    expect(violations([hold("a", "write", 0, 10), hold("b", "write", 10, 20)])).toEqual([]);
    expect(sharedReads([hold("a", "read", 0, 10), hold("b", "read", 5, 20)])).toBe(1);
  });
});

describe.each([1, 5])("read-write exclusion over %i node(s)", (n) => {
  const env = useNodes(n);

  test("worker processes: a writer never overlaps another holder, readers share", async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, w) =>
        runWorker("rw-contender", [
          env.nodes.urls.join(","),
          "rw-cross",
          "24",
          `p${w}`,
          "mixed",
          "3",
        ]),
      ),
    );
    const holds = results.flatMap((r) => parseRwHolds(r.stdout));
    expect(holds).toHaveLength(96);
    expect(holds.filter((h) => h.kind === "write")).toHaveLength(32);
    expect(new Set(holds.map((h) => h.owner)).size).toBe(4);
    expect(violations(holds)).toEqual([]);
  });

  test("in one process: many readers at once, writers alone", async () => {
    const redlock = env.redlock({ retryCount: -1, retryDelay: 2, retryJitter: 8 });
    const rw = redlock.readWriteLock("rw-local");
    const holds: RwHold[] = [];
    let inside = 0;
    let mostReaders = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 6; i++) {
          const kind = (w + i) % 4 === 0 ? "write" : "read";
          const lease =
            kind === "write"
              ? await rw.acquireWrite(5_000, { timeout: 30_000 })
              : await rw.acquireRead(5_000, { timeout: 30_000 });
          const start = process.hrtime.bigint();
          if (kind === "read") mostReaders = Math.max(mostReaders, ++inside);
          await new Promise((r) => setTimeout(r, 5));
          if (kind === "read") inside--;
          const end = process.hrtime.bigint();
          expect(lease.isHeld()).toBe(true);
          await lease.release();
          holds.push({ owner: `w${w}`, kind, start, end });
        }
      }),
    );
    expect(holds).toHaveLength(48);
    expect(violations(holds)).toEqual([]);
    // Readers held it together at some point (they are not serialized like writers).
    expect(mostReaders).toBeGreaterThan(1);
    expect(sharedReads(holds)).toBeGreaterThan(0);
  });
});
