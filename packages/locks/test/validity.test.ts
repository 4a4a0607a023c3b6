import { afterEach, describe, expect, test } from "vitest";
import {
  clockDrift,
  LockAcquisitionError,
  LockExpiredError,
  quorumOf,
  validityLeft,
} from "../src/index.js";
import { ManualClock, TapAdapter } from "./fixtures/tap-adapter.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

describe("validity arithmetic", () => {
  test("quorum is floor(N/2)+1", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumOf)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  test("drift is ttl × driftFactor + 2 ms, rounded up", () => {
    expect(clockDrift(10_000, 0.01)).toBe(102);
    expect(clockDrift(1_000, 0)).toBe(2);
    expect(clockDrift(333, 0.01)).toBe(6); // 3.33 rounds up to 4
  });

  test("validity is ttl − elapsed − drift", () => {
    expect(validityLeft(10_000, 0.01, 500, 500)).toBe(9_898);
    expect(validityLeft(10_000, 0.01, 500, 2_500)).toBe(7_898);
    expect(validityLeft(10_000, 0.01, 0, 9_898)).toBe(0);
  });
});

describe("validity through an injected clock", () => {
  const env = useNodes(3);
  const taps: TapAdapter[] = [];
  afterEach(async () => {
    await Promise.all(taps.splice(0).map((t) => t.close()));
  });
  const tapped = (clock: ManualClock) => {
    const adapters = env.nodes.urls.map((u) => new TapAdapter(u));
    taps.push(...adapters);
    return { adapters, redlock: env.redlock({ clock, retryCount: 0 }, adapters) };
  };

  test("expiration and remaining follow ttl − elapsed − drift", async () => {
    const clock = new ManualClock();
    const { adapters, redlock } = tapped(clock);
    // Each reply takes "100 ms": the quorum (2nd reply) is reached 200 ms after the start.
    for (const a of adapters)
      a.onReply = () => {
        clock.advance(100);
      };
    const startWall = clock.wall();
    const lock = await redlock.acquire("clocked", 10_000);
    const elapsed = clock.wall() - startWall;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(lock.expiration).toBe(startWall + 10_000 - 102);
    expect(lock.remaining).toBe(10_000 - elapsed - 102);
    for (const a of adapters) a.onReply = undefined;

    clock.advance(lock.remaining - 1);
    expect(lock.isHeld()).toBe(true);
    clock.advance(1);
    expect(lock.isHeld()).toBe(false);
    expect(lock.remaining).toBe(0);
    await expect(lock.extend(5_000)).rejects.toBeInstanceOf(LockExpiredError);
    await expect(lock.release()).rejects.toBeInstanceOf(LockExpiredError);
    // The keys are still deleted where they remain.
    await env.nodes.settle("clocked", [null, null, null]);
  });

  test("a grant that used up the validity is never returned, and is rolled back", async () => {
    const clock = new ManualClock();
    const { adapters, redlock } = tapped(clock);
    // Every reply "takes" 5 s of a 10 s ttl: by the quorum, validity is gone.
    for (const a of adapters)
      a.onReply = () => {
        clock.advance(5_000);
      };
    const error = await redlock.acquire("too-slow", 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as Error).message).toMatch(/validity .* ran out/);
    for (const a of adapters) a.onReply = undefined;
    await waitFor(async () => (await env.nodes.values("too-slow")).every((v) => v === null));
  });

  test("an extension measures validity from its own start", async () => {
    const clock = new ManualClock();
    const { redlock } = tapped(clock);
    const lock = await redlock.acquire("extend-clock", 1_000);
    clock.advance(900);
    await lock.extend(20_000);
    expect(lock.remaining).toBe(20_000 - clockDrift(20_000, 0.01));
    expect(lock.expiration).toBe(clock.wall() + 20_000 - 202);
    await lock.release();
  });
});
