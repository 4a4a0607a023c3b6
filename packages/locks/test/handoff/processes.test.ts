import { describe, expect, test } from "vitest";
import { LockAcquisitionError } from "../../src/index.js";
import { runWorker } from "../fixtures/workers.js";
import { useNodes } from "../fixtures/vitest.js";

interface Step {
  step: string;
  held: boolean;
  remaining?: number;
  fence?: string;
}

describe("handing a lock to another process", () => {
  const env = useNodes(3);

  test("A acquires and prints the wire, B adopts, extends and releases, then a third acquires at once", async () => {
    const urls = env.nodes.urls.join(",");
    const a = await runWorker("handoff", ["acquire", urls, "handoff:job", "20000"]);
    const wire = a.stdout.trim();
    const parsed = JSON.parse(wire) as { token: string; fencingToken: string };
    expect(parsed).toMatchObject({ v: 1, kind: "lock", resources: ["handoff:job"] });
    // A quit after printing: a lock it serialized is handed off, not released by its quit().
    await env.nodes.settle("handoff:job", [parsed.token, parsed.token, parsed.token]);
    const contender = env.redlock({ retryCount: 0 });
    await expect(contender.acquire("handoff:job", 10_000)).rejects.toBeInstanceOf(
      LockAcquisitionError,
    );

    const b = await runWorker("handoff", ["adopt", urls, wire, "60000"]);
    const steps = b.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Step);
    expect(steps.map((s) => s.step)).toEqual(["adopted", "extended", "released"]);
    expect(steps[0]).toMatchObject({ held: true, fence: parsed.fencingToken });
    expect(steps[0]?.remaining).toBeGreaterThan(0);
    expect(steps[1]?.held).toBe(true);
    expect(steps[1]?.remaining).toBeGreaterThan(20_000);
    expect(steps[2]?.held).toBe(false);

    // Released, far before its 60 s: a single try succeeds.
    const third = await contender.acquire("handoff:job", 10_000);
    expect(third.fencingToken).toBeUndefined();
    await third.release();
  });
});
