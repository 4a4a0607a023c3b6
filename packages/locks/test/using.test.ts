import { describe, expect, test } from "vitest";
import {
  LockConfigError,
  type LostEvent,
  type LockError,
  LockExpiredError,
  LockOwnershipError,
} from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

describe("using(): automatic extension and loss signalling", () => {
  const env = useNodes(3);

  test("the lock outlives several ttls while the routine runs, then is released", async () => {
    // Margins wide enough for a loaded machine: the event loop may lag by a good 100 ms.
    const redlock = env.redlock({ automaticExtensionThreshold: 300 });
    let extensions = 0;
    const result = await redlock.using("long-job", 600, async (signal) => {
      const started = Date.now();
      let lastTtl = Number.POSITIVE_INFINITY;
      // Watch the key's ttl go back up: each rise is an extension. Hold for > 3 ttls.
      await waitFor(
        async () => {
          const ttl = await (await env.nodes.inspect(0)).pTTL("long-job");
          if (ttl > lastTtl) extensions++;
          lastTtl = ttl;
          expect(ttl).toBeGreaterThan(0); // never expired in between
          return Date.now() - started > 2_000;
        },
        { intervalMs: 20 },
      );
      expect(signal.aborted).toBe(false);
      return "done";
    });
    expect(result).toBe("done");
    expect(extensions).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await env.nodes.values("long-job")).every((v) => v === null));
  });

  test("losing the lock aborts the signal with the reason, emits 'lost', and returns the result", async () => {
    const redlock = env.redlock({ automaticExtensionThreshold: 150 });
    const lost: LostEvent[] = [];
    redlock.on("lost", (event) => lost.push(event));
    const releaseErrors: LockError[] = [];
    redlock.on("releaseError", (_l, e) => releaseErrors.push(e));
    const result = await redlock.using("stolen", 400, async (signal) => {
      await env.nodes.hold("stolen", "intruder", 60_000, [0, 1, 2]);
      await new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => {
          resolve();
        });
      });
      expect(signal.reason).toBeInstanceOf(LockOwnershipError);
      return 42;
    });
    expect(result).toBe(42);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.resources).toEqual(["stolen"]);
    expect(lost[0]?.error).toBeInstanceOf(LockOwnershipError);
    expect(releaseErrors).toEqual([]); // already reported as lost
    expect(await env.nodes.values("stolen")).toEqual(["intruder", "intruder", "intruder"]);
  });

  test("validity running out aborts the signal even if an extension hangs", async () => {
    const redlock = env.redlock({ automaticExtensionThreshold: 100, commandTimeout: 5_000 });
    const result = await redlock.using("hang", 300, async (signal) => {
      await Promise.all(env.nodes.servers.map((s) => s.pause()));
      await new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => {
          resolve();
        });
      });
      await Promise.all(env.nodes.servers.map((s) => s.resume()));
      return signal.reason as LockError;
    });
    expect(result).toBeInstanceOf(LockExpiredError);
  });

  test("the routine's error is thrown after release", async () => {
    const redlock = env.redlock();
    await expect(
      redlock.using("failing", 5_000, async () => {
        await Promise.resolve();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await waitFor(async () => (await env.nodes.values("failing")).every((v) => v === null));
  });

  test("a release failure never masks the result; it is reported as an event", async () => {
    const redlock = env.redlock();
    const releaseErrors: LockError[] = [];
    redlock.on("releaseError", (_l, e) => releaseErrors.push(e));
    const result = await redlock.using("overwritten", 5_000, async () => {
      await env.nodes.hold("overwritten", "intruder", 60_000, [0, 1, 2]);
      return "ok";
    });
    expect(result).toBe("ok");
    expect(releaseErrors).toHaveLength(1);
    expect(releaseErrors[0]).toBeInstanceOf(LockOwnershipError);
  });

  test("options and thresholds are validated before anything is sent", async () => {
    const redlock = env.redlock();
    await expect(
      redlock.using("x", 500, { automaticExtensionThreshold: 500 }, () => Promise.resolve()),
    ).rejects.toBeInstanceOf(LockConfigError);
    await expect(
      redlock.using("x", 500, undefined as unknown as () => Promise<void>),
    ).rejects.toBeInstanceOf(LockConfigError);
    expect((await env.nodes.keys()).flat()).toEqual([]);
  });
});
