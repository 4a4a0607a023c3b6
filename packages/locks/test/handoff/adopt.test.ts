import { inspect } from "node:util";
import { describe, expect, test } from "vitest";
import {
  Lock,
  LockConfigError,
  LockExpiredError,
  LockOwnershipError,
  type LockWire,
  Redlock,
} from "../../src/index.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

const TOKEN = "0123456789abcdef0123456789abcdef";

function wire(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    kind: "lock",
    resources: ["a"],
    token: TOKEN,
    expiration: Date.now() + 10_000,
    ...overrides,
  };
}

describe("adopting a lock", () => {
  const env = useNodes(3);

  test("toJSON writes the wire; the adopted copy extends, reports and releases like the original", async () => {
    const a = env.redlock();
    const b = env.redlock();
    const lock = await a.acquire(["orders:1", "orders:2"], 10_000, { fencing: true });
    const sent = JSON.stringify(lock);
    const parsed = JSON.parse(sent) as LockWire;
    expect(parsed).toEqual({
      v: 1,
      kind: "lock",
      resources: ["orders:1", "orders:2"],
      token: lock.value,
      expiration: lock.expiration,
      fencingToken: String(lock.fencingToken),
    });

    const same = b.adopt(parsed);
    if (!(same instanceof Lock)) throw new Error("a lock's wire adopts as a Lock");
    expect(same.resources).toEqual(lock.resources);
    expect(same.value).toBe(lock.value);
    expect(same.fencingToken).toBe(lock.fencingToken);
    expect(same.attempts).toBe(0);
    expect(same.isHeld()).toBe(true);
    // The same validity, carried over to the monotonic clock (a few ms of this test aside).
    expect(Math.abs(same.expiration - lock.expiration)).toBeLessThan(1_000);
    expect(same.remaining).toBeGreaterThan(5_000);

    await same.extend(60_000);
    expect(same.remaining).toBeGreaterThan(30_000);
    await waitFor(async () => {
      const ttls = await Promise.all(
        env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).pTTL("orders:2")),
      );
      return ttls.every((ttl) => ttl > 30_000);
    });
    // The wire of a fenceless lock has no fencing token.
    const plain = await a.acquire("plain", 10_000);
    expect(JSON.parse(JSON.stringify(plain))).not.toHaveProperty("fencingToken");
    expect(b.adopt(JSON.parse(JSON.stringify(plain))).fencingToken).toBeUndefined();

    await same.release();
    expect(same.isHeld()).toBe(false);
    await env.nodes.settle("orders:1", [null, null, null]);
    // Either copy may release: the other's release then finds the keys gone.
    await expect(lock.release()).rejects.toBeInstanceOf(LockOwnershipError);
    await plain.release();
  });

  test("the original may release: the adopted copy's extend then rejects with LockOwnershipError", async () => {
    const a = env.redlock();
    const b = env.redlock();
    const lock = await a.acquire("job", 10_000);
    const same = b.adopt(JSON.parse(JSON.stringify(lock)));
    await lock.release();
    // A third owner gets it at once, and the adopted copy can no longer extend it.
    const third = await env.redlock({ retryCount: 0 }).acquire("job", 10_000);
    const error = await same.extend(10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockOwnershipError);
    expect(same.isHeld()).toBe(false);
    await expect(same.release()).rejects.toBeInstanceOf(LockOwnershipError);
    await env.nodes.settle("job", [third.value, third.value, third.value]);
    await third.release();
  });

  test("an adopted lock heals nodes that lost its keys, as the original's extension does", async () => {
    const a = env.redlock();
    const lock = await a.acquire("heal", 10_000);
    const same = env.redlock().adopt(JSON.parse(JSON.stringify(lock)));
    await (await env.nodes.inspect(2)).del("heal");
    await same.extend(10_000);
    await env.nodes.settle("heal", [lock.value, lock.value, lock.value]);
    await same.release();
  });

  test("an adopted lock is released with await using", async () => {
    const lock = await env.redlock().acquire("scoped", 10_000);
    const b = env.redlock();
    {
      await using same = b.adopt(JSON.parse(JSON.stringify(lock)));
      expect(same.isHeld()).toBe(true);
    }
    await env.nodes.settle("scoped", [null, null, null]);
  });

  test("a wire whose expiration has passed adopts as not held; release rejects with LockExpiredError", async () => {
    const redlock = env.redlock();
    const stale = redlock.adopt(wire({ expiration: Date.now() - 1_000 }));
    expect(stale.isHeld()).toBe(false);
    expect(stale.remaining).toBe(0);
    await expect(stale.release()).rejects.toBeInstanceOf(LockExpiredError);
    await expect(redlock.adopt(wire({ expiration: 0 })).extend(1_000)).rejects.toBeInstanceOf(
      LockExpiredError,
    );
  });

  test("the adopted lock's validity follows the monotonic clock from the wire's wall-clock expiration", () => {
    let wall = 1_000_000;
    let mono = 5_000;
    const redlock = env.redlock({ clock: { wall: () => wall, monotonic: () => mono } });
    const lock = redlock.adopt(wire({ expiration: wall + 4_000 }));
    expect(lock.remaining).toBe(4_000);
    // A wall clock stepped back does not stretch it; the monotonic clock ends it.
    wall -= 60_000;
    mono += 3_000;
    expect(lock.remaining).toBe(1_000);
    mono += 1_000;
    expect(lock.isHeld()).toBe(false);
  });

  const malformed: [string, unknown, string][] = [
    ["not an object", "lock", "wire"],
    ["null", null, "wire"],
    ["an array", [wire()], "wire"],
    ["no version", { ...wire(), v: undefined }, "wire.v"],
    ["another version", wire({ v: 2 }), "wire.v"],
    ["the version as a string", wire({ v: "1" }), "wire.v"],
    ["an unknown kind", wire({ kind: "mutex" }), "wire.kind"],
    ["no kind", { ...wire(), kind: undefined }, "wire.kind"],
    ["a token too short", wire({ token: TOKEN.slice(1) }), "wire.token"],
    ["a token in uppercase", wire({ token: TOKEN.toUpperCase() }), "wire.token"],
    ["a token that is not a string", wire({ token: 42 }), "wire.token"],
    ["no token", { ...wire(), token: undefined }, "wire.token"],
    ["an infinite expiration", wire({ expiration: Infinity }), "wire.expiration"],
    ["a NaN expiration", wire({ expiration: NaN }), "wire.expiration"],
    ["a negative expiration", wire({ expiration: -1 }), "wire.expiration"],
    ["an expiration as a string", wire({ expiration: "2030-01-01" }), "wire.expiration"],
    ["no resources", wire({ resources: [] }), "wire.resources"],
    ["resources as a string", wire({ resources: "a" }), "wire.resources"],
    ["an empty resource name", wire({ resources: [""] }), "wire.resources.0"],
    ["a resource named twice", wire({ resources: ["a", "a"] }), "wire.resources"],
    ["a lone surrogate in a name", wire({ resources: ["\ud800"] }), "wire.resources.0"],
    ["a fencing token as a number", wire({ fencingToken: 7 }), "wire.fencingToken"],
    ["a negative fencing token", wire({ fencingToken: "-7" }), "wire.fencingToken"],
    ["a fencing token in hex", wire({ fencingToken: "0x10" }), "wire.fencingToken"],
    ["a fencing token with a leading zero", wire({ fencingToken: "07" }), "wire.fencingToken"],
    ["an unknown field", wire({ holder: "me" }), "wire.holder"],
  ];

  test.each(malformed)(
    "%s is a LockConfigError naming the field, nothing sent",
    (_, bad, field) => {
      const redlock = env.redlock();
      let error: unknown;
      try {
        redlock.adopt(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LockConfigError);
      expect((error as LockConfigError).issues.map((i) => i.field)).toContain(field);
      // Never the token itself in the message.
      expect((error as Error).message).not.toContain(TOKEN);
    },
  );

  test("no malformed wire reaches a node", async () => {
    const redlock = env.redlock();
    const before = await Promise.all(
      env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).info("commandstats")),
    );
    for (const [, bad] of malformed) expect(() => redlock.adopt(bad)).toThrow(LockConfigError);
    const after = await Promise.all(
      env.nodes.servers.map(async (_, i) => (await env.nodes.inspect(i)).info("commandstats")),
    );
    const scripts = (info: string): string =>
      info
        .split("\n")
        .filter((l) => /^cmdstat_(evalsha|eval|fcall)/.test(l))
        .join("\n");
    expect(after.map(scripts)).toEqual(before.map(scripts));
  });
});

describe("the token is a capability", () => {
  const env = useNodes(1);

  test("String(lock) and util.inspect show the lockId, not the whole token", async () => {
    const lock = await env.redlock().acquire("secret", 10_000, { fencing: true });
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- what String() shows is the point
    expect(String(lock)).not.toContain(lock.value);
    const shown = inspect(lock);
    expect(shown).not.toContain(lock.value);
    expect(shown).toContain(lock.value.slice(0, 8));
    expect(inspect({ nested: [lock] }, { depth: 5 })).not.toContain(lock.value);
    await lock.release();
  });

  test("no event payload or error the library makes serializes a lock", async () => {
    const redlock = env.redlock({ retryCount: 0 });
    const seen: unknown[] = [];
    for (const name of [
      "acquired",
      "acquireFailed",
      "extended",
      "extendFailed",
      "released",
      "releaseFailed",
      "lost",
    ] as const) {
      redlock.on(name, (event: unknown) => seen.push(event));
    }
    const lock = await redlock.acquire("capability", 10_000);
    await lock.extend(10_000);
    const refused = await redlock.acquire("capability", 10_000).catch((e: unknown) => e);
    await lock.release();
    const after = await lock.extend(10_000).catch((e: unknown) => e);
    const expired = redlock.adopt(wire({ token: TOKEN, expiration: 1 }));
    const expiredRelease = await expired.release().catch((e: unknown) => e);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const item of [...seen, refused, after, expiredRelease]) {
      const text = `${JSON.stringify(item)} ${inspect(item, { depth: 10 })} ${String(item)}`;
      expect(text).not.toContain(lock.value);
      expect(text).not.toContain(TOKEN);
    }
  });
});

describe("adopting on a Redis Cluster client", () => {
  test("resources of different slots are refused before anything is sent", () => {
    const redlock = new Redlock([
      {
        label: "cluster:fake",
        cluster: true,
        firstConnection: Promise.resolve(),
        connectionSettled: true,
        sendCommand: () => Promise.reject(new Error("not sent")),
        close: () => Promise.resolve(),
      },
    ]);
    try {
      expect(() => redlock.adopt(wire({ resources: ["a", "b"] }))).toThrow(LockConfigError);
    } finally {
      void redlock.quit();
    }
  });
});
