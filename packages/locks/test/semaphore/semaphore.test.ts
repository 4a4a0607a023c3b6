import { describe, expect, test } from "vitest";
import {
  LockConfigError,
  LockExpiredError,
  LockTimeoutError,
  Permit,
  type PermitWire,
  SemaphoreLimitError,
} from "../../src/index.js";
import { contextOf } from "../../src/redlock/redlock.js";
import { adoptPermit } from "../../src/redlock/semaphore/permit.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

const env = useNodes(3);

/** EVALSHA calls node `i` has run since its stats were reset (INFO commandstats). */
async function evalshaCalls(i: number): Promise<number> {
  const info = await (await env.nodes.inspect(i)).info("commandstats");
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe("semaphore options", () => {
  test("a bad limit or permits is a LockConfigError, and nothing is sent", async () => {
    const redlock = env.redlock();
    for (const limit of [0, -1, 1.5, Number.NaN, "3", 5_000]) {
      expect(() => redlock.semaphore("bad", { limit: limit as number })).toThrow(LockConfigError);
    }
    expect(() => redlock.semaphore("", { limit: 2 })).toThrow(LockConfigError);
    expect(() =>
      redlock.semaphore("bad", { limit: 2, extra: true } as unknown as { limit: number }),
    ).toThrow(LockConfigError);
    const sem = redlock.semaphore("bad", { limit: 3 });
    for (const permits of [0, -2, 2.5, 4]) {
      await expect(sem.acquire(1_000, { permits })).rejects.toBeInstanceOf(LockConfigError);
    }
    await expect(sem.acquire(0)).rejects.toBeInstanceOf(LockConfigError);
    await expect(sem.acquire(1.5)).rejects.toBeInstanceOf(LockConfigError);
    await expect(sem.using(1_000, { permits: 4 }, () => Promise.resolve(1))).rejects.toBeInstanceOf(
      LockConfigError,
    );
    expect((await env.nodes.keys()).flat()).toEqual([]);
  });

  test("a process passing another limit for a held semaphore gets SemaphoreLimitError", async () => {
    const redlock = env.redlock();
    const permit = await redlock.semaphore("sized", { limit: 3 }).acquire(10_000);
    const error = await redlock
      .semaphore("sized", { limit: 5 })
      .acquire(10_000, { timeout: 1_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SemaphoreLimitError);
    expect(error).toMatchObject({ semaphore: "sized", limit: 5, recorded: 3 });
    expect((error as SemaphoreLimitError).code).toBe("QUORUM_LOCKS_SEMAPHORE_LIMIT");
    // Nothing of the refused call stays: the one permit is all that is held.
    expect(await redlock.semaphore("sized", { limit: 3 }).inUse()).toBe(1);
    await permit.release();
  });

  test("the recorded limit expires with the permits, so the semaphore can be resized", async () => {
    const redlock = env.redlock();
    const short = await redlock.semaphore("resized", { limit: 2 }).acquire(300);
    await expect(
      redlock.semaphore("resized", { limit: 4 }).acquire(10_000, { timeout: 0 }),
    ).rejects.toBeInstanceOf(SemaphoreLimitError);
    await waitFor(() => !short.isHeld());
    await waitFor(async () =>
      (
        await Promise.all(
          env.nodes.servers.map(async (_, i) =>
            (await env.nodes.inspect(i)).exists("{resized}:limit"),
          ),
        )
      ).every((n) => n === 0),
    );
    const bigger = await redlock.semaphore("resized", { limit: 4 }).acquire(10_000, { permits: 4 });
    expect(bigger.permits).toBe(4);
    await bigger.release();
  });
});

describe("permits", () => {
  test("weighted requests are all or none", async () => {
    const redlock = env.redlock();
    const sem = redlock.semaphore("weighted", { limit: 3 });
    const two = await sem.acquire(10_000, { permits: 2 });
    expect(two.permits).toBe(2);
    expect(two.resources).toHaveLength(2);
    // Two more do not fit: refused, and the free slot is left free.
    await expect(sem.acquire(10_000, { permits: 2, timeout: 200 })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    expect(await sem.inUse()).toBe(2);
    const one = await sem.acquire(10_000, { timeout: 0 });
    expect(await sem.inUse()).toBe(3);
    await two.release();
    await one.release();
    expect(await sem.inUse()).toBe(0);
    expect((await env.nodes.keys("*slot*")).flat()).toEqual([]);
  });

  test("extend, release, await using and expiry behave like a lock's", async () => {
    const redlock = env.redlock();
    const sem = redlock.semaphore("lifecycle", { limit: 2 });
    const permit = await sem.acquire(1_000);
    expect(permit.isHeld()).toBe(true);
    expect(permit.remaining).toBeGreaterThan(0);
    expect(permit.remaining).toBeLessThanOrEqual(1_000);
    const before = permit.expiration;
    await permit.extend(20_000);
    expect(permit.expiration).toBeGreaterThan(before);
    expect(permit.remaining).toBeGreaterThan(10_000);
    await permit.release();
    expect(permit.isHeld()).toBe(false);
    expect(await sem.inUse()).toBe(0);
    {
      await using scoped = await sem.acquire(10_000, { permits: 2 });
      expect(scoped.isHeld()).toBe(true);
      expect(await sem.inUse()).toBe(2);
    }
    expect(await sem.inUse()).toBe(0);
    const short = await sem.acquire(50);
    await waitFor(() => !short.isHeld());
    await expect(short.extend(1_000)).rejects.toBeInstanceOf(LockExpiredError);
  });

  test("using() extends the permit while the routine runs and releases it after", async () => {
    const redlock = env.redlock();
    const sem = redlock.semaphore("using", { limit: 2 });
    let extended = 0;
    redlock.on("extended", (event) => {
      if (event.kind === "permit") extended++;
    });
    const result = await sem.using(600, { permits: 2 }, async (signal, permit) => {
      expect(permit).toBeInstanceOf(Permit);
      expect(await sem.inUse()).toBe(2);
      await waitFor(() => extended >= 2, { timeoutMs: 10_000 });
      expect(signal.aborted).toBe(false);
      expect(permit.isHeld()).toBe(true);
      return "done";
    });
    expect(result).toBe("done");
    expect(await sem.inUse()).toBe(0);
  });

  test("a waiter is woken by a release notice, without polling the nodes", async () => {
    const redlock = env.redlock({ retryCount: -1, retryDelay: 5, retryJitter: 5 });
    const sem = redlock.semaphore("wake", { limit: 1 });
    const held = await sem.acquire(60_000);
    const waiting = sem.acquire(10_000, { timeout: 50_000 });
    // Let the waiter reach its wait, then count its commands while it is blocked.
    await waitFor(async () =>
      (await env.nodes.inspect(0)).pubSubChannels().then((c) => c.length > 0),
    );
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all(
      env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).configResetStat()),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const calls = await Promise.all(env.nodes.servers.map((_, i) => evalshaCalls(i)));
    // Polling every retryDelay would be ~100 calls per node in that second.
    for (const n of calls) expect(n).toBeLessThanOrEqual(2);
    const released = performance.now();
    await held.release();
    const permit = await waiting;
    expect(permit.isHeld()).toBe(true);
    // Woken by the notice, far sooner than the holder's ttl (60 s).
    expect(performance.now() - released).toBeLessThan(30_000);
    await permit.release();
  });

  test("inUse counts slots held on a quorum only", async () => {
    const redlock = env.redlock();
    const sem = redlock.semaphore("counted", { limit: 3 });
    expect(await sem.inUse()).toBe(0);
    // A token on one node only is no permit.
    await env.nodes.hold("{counted}:slot:1", "f".repeat(32), 10_000, [0]);
    expect(await sem.inUse()).toBe(0);
    await env.nodes.hold("{counted}:slot:2", "e".repeat(32), 10_000, [0, 1]);
    expect(await sem.inUse()).toBe(1);
    const permit = await sem.acquire(10_000);
    expect(await sem.inUse()).toBe(2);
    await permit.release();
  });
});

describe("fencing, events and the wire form", () => {
  test("fenced permits draw ever larger tokens, one counter per semaphore", async () => {
    const redlock = env.redlock();
    const sem = redlock.semaphore("tokens", { limit: 2, fencing: true });
    const tokens: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const permit = await sem.acquire(10_000, { permits: (i % 2) + 1 });
      expect(permit.fencingToken).toBeTypeOf("bigint");
      tokens.push(permit.fencingToken as bigint);
      await permit.release();
    }
    for (let i = 1; i < tokens.length; i++) {
      expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as bigint);
    }
    const counters = (await env.nodes.keys("*fence*")).flat();
    expect(new Set(counters)).toEqual(new Set(["{tokens}:fence"]));
  });

  test("the events name the primitive", async () => {
    const redlock = env.redlock();
    const seen: string[] = [];
    redlock.on("acquired", (e) => seen.push(`acquired:${e.kind ?? "lock"}`));
    redlock.on("released", (e) => seen.push(`released:${e.kind ?? "lock"}`));
    const permit = await redlock.semaphore("evented", { limit: 2 }).acquire(10_000);
    await permit.release();
    const lock = await redlock.acquire("plain", 10_000);
    await lock.release();
    expect(seen).toEqual(["acquired:permit", "released:permit", "acquired:lock", "released:lock"]);
  });

  test("a permit serializes, and adoptPermit rebuilds it in another Redlock", async () => {
    const first = env.redlock();
    const sem = first.semaphore("handed", { limit: 3, fencing: true });
    const permit = await sem.acquire(10_000, { permits: 2 });
    const wire = JSON.parse(JSON.stringify(permit)) as PermitWire;
    expect(wire).toMatchObject({
      v: 1,
      kind: "permit",
      resources: permit.resources,
      token: permit.value,
      name: "handed",
      limit: 3,
      permits: 2,
      fencingToken: String(permit.fencingToken),
    });
    expect(wire.expiration).toBeLessThanOrEqual(permit.expiration);
    const second = env.redlock();
    const adopted = adoptPermit(contextOf(second), wire);
    expect(adopted.isHeld()).toBe(true);
    expect(adopted.fencingToken).toBe(permit.fencingToken);
    await adopted.extend(10_000);
    await adopted.release();
    expect(await sem.inUse()).toBe(0);
    for (const bad of [
      { ...wire, kind: "lock" },
      { ...wire, permits: 3 },
      { ...wire, resources: ["{other}:slot:1", "{other}:slot:2"] },
      { ...wire, token: "not a token" },
      { ...wire, v: 2 },
      null,
    ]) {
      expect(() => adoptPermit(contextOf(second), bad)).toThrow(LockConfigError);
    }
  });
});
