import { describe, expect, test } from "vitest";
import {
  LockConfigError,
  type LostEvent,
  type LockError,
  LockExpiredError,
  LockHoldLimitError,
  LockOwnershipError,
  type Redlock,
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

/** Counts the extensions `redlock` makes (by its watchdogs among them). */
function countExtensions(redlock: Redlock): { readonly count: number } {
  const counter = { count: 0 };
  redlock.on("extended", () => {
    counter.count++;
  });
  return counter;
}

describe("using(): the default threshold fits any ttl", () => {
  const env = useNodes(3);

  test.each([300, 150])("a %d ms lock with the defaults is kept over several ttls", async (ttl) => {
    const redlock = env.redlock();
    expect(redlock.options.automaticExtensionThreshold).toBeUndefined();
    const extensions = countExtensions(redlock);
    const result = await redlock.using("short", ttl, async (signal, lock) => {
      const started = performance.now();
      // Five extensions of a ttl each, and four ttls gone by, with the lock held at every look.
      await waitFor(() => {
        expect(lock.isHeld()).toBe(true);
        expect(signal.aborted).toBe(false);
        return extensions.count >= 5 && performance.now() - started > 4 * ttl;
      });
      return "done";
    });
    expect(result).toBe("done");
    await waitFor(async () => (await env.nodes.values("short")).every((v) => v === null));
  });

  test("an explicit threshold at or above the ttl is still refused, on the Redlock or per call", async () => {
    const redlock = env.redlock({ automaticExtensionThreshold: 300 });
    const refused = await redlock.using("x", 300, () => Promise.resolve()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockConfigError);
    expect((refused as LockConfigError).message).toMatch(
      /automaticExtensionThreshold: must be below the ttl \(300 ms\)/,
    );
    await expect(
      env.redlock().using("x", 50, { automaticExtensionThreshold: 60 }, () => Promise.resolve()),
    ).rejects.toBeInstanceOf(LockConfigError);
    expect((await env.nodes.keys()).flat()).toEqual([]);
  });
});

describe("using(): maxExtensions and maxHoldTime", () => {
  const env = useNodes(3);

  test("maxExtensions: 2 aborts the signal after exactly two extensions, then releases", async () => {
    const redlock = env.redlock();
    const extensions = countExtensions(redlock);
    const lost: LostEvent[] = [];
    redlock.on("lost", (event) => lost.push(event));
    const releaseErrors: LockError[] = [];
    redlock.on("releaseError", (_l, e) => releaseErrors.push(e));
    const reason = await redlock.using("capped", 300, { maxExtensions: 2 }, async (signal) => {
      await waitFor(() => signal.aborted);
      return signal.reason as unknown;
    });
    expect(reason).toBeInstanceOf(LockHoldLimitError);
    const error = reason as LockHoldLimitError;
    expect(error.limit).toBe("maxExtensions");
    expect(error.value).toBe(2);
    expect(error.extensions).toBe(2);
    expect(error.resources).toEqual(["capped"]);
    expect(error.message).toMatch(/reached its maxExtensions cap \(2 extensions\)/);
    expect(extensions.count).toBe(2);
    // A cap is not a loss: the lock was still ours and is released as usual.
    await waitFor(async () => (await env.nodes.values("capped")).every((v) => v === null));
    expect(lost).toEqual([]);
    expect(releaseErrors).toEqual([]);
  });

  test("maxExtensions: 0 never extends; the lock expires under a routine that keeps going", async () => {
    const redlock = env.redlock();
    const extensions = countExtensions(redlock);
    await redlock.using("never-extended", 300, { maxExtensions: 0 }, async (signal, lock) => {
      await waitFor(() => signal.aborted);
      expect(signal.reason).toBeInstanceOf(LockHoldLimitError);
      await waitFor(async () =>
        (await env.nodes.values("never-extended")).every((v) => v === null),
      );
      expect(lock.isHeld()).toBe(false);
    });
    expect(extensions.count).toBe(0);
  });

  test("maxHoldTime aborts the signal instead of an extension that would keep the lock past it", async () => {
    const redlock = env.redlock();
    const extensions = countExtensions(redlock);
    const maxHoldTime = 1_000;
    let seen: { reason: unknown; expiration: number; acquiredAt: number } | undefined;
    await redlock.using("hold-capped", 300, { maxHoldTime }, async (signal, lock) => {
      const acquiredAt = Date.now();
      await waitFor(() => signal.aborted);
      seen = { reason: signal.reason, expiration: lock.expiration, acquiredAt };
      const extended = extensions.count;
      // Left alone, the lock runs out on the nodes: it was not extended any further.
      await waitFor(async () => (await env.nodes.values("hold-capped")).every((v) => v === null));
      expect(lock.isHeld()).toBe(false);
      expect(extensions.count).toBe(extended);
    });
    expect(seen?.reason).toBeInstanceOf(LockHoldLimitError);
    const error = seen?.reason as LockHoldLimitError;
    expect(error.limit).toBe("maxHoldTime");
    expect(error.value).toBe(maxHoldTime);
    expect(extensions.count).toBe(error.extensions);
    expect(error.extensions).toBeGreaterThanOrEqual(1);
    // Never kept past maxHoldTime after it was acquired (a few ms of slack for the clocks).
    expect(seen?.expiration).toBeLessThanOrEqual((seen?.acquiredAt ?? 0) + maxHoldTime + 20);
  });

  test("the caps are validated before anything is sent", async () => {
    const redlock = env.redlock();
    for (const [options, field] of [
      [{ maxExtensions: -1 }, "options.maxExtensions"],
      [{ maxExtensions: 1.5 }, "options.maxExtensions"],
      [{ maxHoldTime: -1 }, "options.maxHoldTime"],
      [{ maxHoldTime: Infinity }, "options.maxHoldTime"],
    ] as const) {
      const error = await redlock
        .using("x", 1_000, options, () => Promise.resolve())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockConfigError);
      expect((error as LockConfigError).field).toBe(field);
    }
    expect((await env.nodes.keys()).flat()).toEqual([]);
  });
});
