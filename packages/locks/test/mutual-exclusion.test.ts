import { describe, expect, test } from "vitest";
import { formatHold, type Hold, overlaps, parseHolds } from "./fixtures/intervals.js";
import { useNodes } from "./fixtures/vitest.js";
import { runWorker } from "./fixtures/workers.js";

describe("the overlap checker", () => {
  const hold = (owner: string, start: number, end: number): Hold => ({
    owner,
    start: BigInt(start),
    end: BigInt(end),
  });

  test("finds overlapping holds and accepts touching ones", () => {
    expect(overlaps([hold("a", 0, 10), hold("b", 10, 20), hold("c", 20, 30)])).toEqual([]);
    expect(overlaps([hold("a", 0, 10), hold("b", 5, 20)])).toHaveLength(1);
    // A long hold that contains a later one is caught even past an intervening hold.
    expect(overlaps([hold("a", 0, 100), hold("b", 10, 20), hold("c", 50, 60)])).toHaveLength(2);
  });

  test("reads what workers write", () => {
    const text = `${formatHold("w1", 1n, 2n)}\nnoise\n${formatHold("w2", 3n, 4n)}\n`;
    expect(parseHolds(text)).toEqual([hold("w1", 1, 2), hold("w2", 3, 4)]);
  });
});

describe.each([1, 5])("mutual exclusion over %i node(s)", (n) => {
  const env = useNodes(n);

  test("many concurrent acquirers in one process never overlap", async () => {
    const holds: Hold[] = [];
    const contenders = Array.from({ length: 12 }, () =>
      env.redlock({ retryCount: -1, retryDelay: 2, retryJitter: 8 }),
    );
    await Promise.all(
      contenders.map(async (redlock, w) => {
        for (let i = 0; i < 10; i++) {
          const lock = await redlock.acquire("shared", 5_000, { timeout: 20_000 });
          const start = process.hrtime.bigint();
          await new Promise((r) => setImmediate(r));
          const end = process.hrtime.bigint();
          expect(lock.isHeld()).toBe(true);
          await lock.release();
          holds.push({ owner: `w${w}`, start, end });
        }
      }),
    );
    expect(holds).toHaveLength(120);
    expect(overlaps(holds)).toEqual([]);
  });

  test("worker processes never hold the lock at the same time", async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, w) =>
        runWorker("contender", [env.nodes.urls.join(","), "cross-process", "15", `p${w}`]),
      ),
    );
    const holds = results.flatMap((r) => parseHolds(r.stdout));
    expect(holds).toHaveLength(60);
    expect(new Set(holds.map((h) => h.owner)).size).toBe(4);
    expect(overlaps(holds)).toEqual([]);
  });
});
