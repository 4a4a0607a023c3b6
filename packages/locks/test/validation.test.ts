import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LockConfigError, LockManager, Redlock, type RedlockOptions } from "../src/index.js";
import { TapAdapter } from "./fixtures/tap-adapter.js";
import { useNodes } from "./fixtures/vitest.js";

function configError(fn: () => unknown): LockConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LockConfigError);
    return error as LockConfigError;
  }
  throw new Error("expected a LockConfigError");
}

describe("constructor validation", () => {
  test.each([
    ["no nodes", [], "nodes"],
    ["a non-URL string", ["localhost:6379"], "nodes.0"],
    ["an http URL", ["http://127.0.0.1:6379"], "nodes.0"],
    ["a URL without host", ["redis://"], "nodes.0"],
    ["a number", [6379], "nodes.0"],
    ["options with a bad url", [{ url: "nope" }], "nodes.0.url"],
  ])("rejects %s", (_name, nodes, field) => {
    const error = configError(() => new Redlock(nodes as never));
    expect(error.field).toBe(field);
  });

  test("never repeats a node URL, which may hold a password", () => {
    const error = configError(() => new Redlock(["redis://user:s3cret-pass@:bad"]));
    expect(error.message).not.toContain("s3cret-pass");
    expect(error.message).toMatch(/nodes\.0: must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  const url = "redis://127.0.0.1:1";
  test.each<[string, RedlockOptions, string, RegExp]>([
    ["driftFactor 0.5", { driftFactor: 0.5 }, "driftFactor", /\[0, 0\.5\)/],
    ["driftFactor -0.01", { driftFactor: -0.01 }, "driftFactor", /\[0, 0\.5\)/],
    ["driftFactor as text", { driftFactor: "0.01" as never }, "driftFactor", /number/],
    ["retryCount -2", { retryCount: -2 }, "retryCount", /-1 or more/],
    ["retryCount 1.5", { retryCount: 1.5 }, "retryCount", /whole number/],
    ["retryDelay Infinity", { retryDelay: Infinity }, "retryDelay", /milliseconds/],
    ["retryDelay NaN", { retryDelay: NaN }, "retryDelay", /milliseconds/],
    ["retryDelay -1", { retryDelay: -1 }, "retryDelay", /0 or more/],
    ["retryJitter -1", { retryJitter: -1 }, "retryJitter", /0 or more/],
    [
      "automaticExtensionThreshold -1",
      { automaticExtensionThreshold: -1 },
      "automaticExtensionThreshold",
      /0 or more/,
    ],
    ["commandTimeout 0", { commandTimeout: 0 }, "commandTimeout", /more than 0/],
    ["connectTimeout -5", { connectTimeout: -5 }, "connectTimeout", /more than 0/],
    ["a misspelt option", { retryDelayMs: 5 } as never, "retryDelayMs", /not a known option/],
    ["a clock without functions", { clock: {} as never }, "clock", /monotonic\(\) and wall\(\)/],
  ])("rejects %s, naming the field", (_name, options, field, message) => {
    const error = configError(() => new Redlock([url], options));
    expect(error.field).toBe(`options.${field}`);
    expect(error.message).toMatch(message);
  });

  test("reports every bad field at once", () => {
    const error = configError(() => new Redlock([url], { retryCount: -5, driftFactor: 2 }));
    expect(error.issues.map((i) => i.field).sort()).toEqual([
      "options.driftFactor",
      "options.retryCount",
    ]);
  });
});

describe("per-call validation sends nothing to Redis", () => {
  const env = useNodes(1);
  let tap: TapAdapter;
  let redlock: Redlock;
  beforeAll(async () => {
    tap = new TapAdapter(env.nodes.urls[0] ?? "");
    await tap.firstConnection;
    redlock = new Redlock([tap]);
  });
  afterAll(async () => {
    await redlock.quit();
    await tap.close();
  });

  test.each<[string, unknown, unknown, unknown, string]>([
    ["an empty resource list", [], 1_000, undefined, "resources"],
    ["an empty resource name", "", 1_000, undefined, "resources.0"],
    ["an empty name in the list", ["a", ""], 1_000, undefined, "resources.1"],
    ["a non-string resource", ["a", 7], 1_000, undefined, "resources.1"],
    ["a repeated resource", ["a", "a"], 1_000, undefined, "resources"],
    ["a name with a lone surrogate", "a\uD800", 1_000, undefined, "resources.0"],
    ["a lone surrogate in the list", ["a", "\uDFFF"], 1_000, undefined, "resources.1"],
    ["null resources", null, 1_000, undefined, "resources"],
    ["a negative ttl", "a", -1, undefined, "ttl"],
    ["a zero ttl", "a", 0, undefined, "ttl"],
    ["a fractional ttl", "a", 1.5, undefined, "ttl"],
    ["a NaN ttl", "a", NaN, undefined, "ttl"],
    ["an infinite ttl", "a", Infinity, undefined, "ttl"],
    ["a ttl as text", "a", "1000", undefined, "ttl"],
    ["a negative timeout", "a", 1_000, { timeout: -1 }, "options.timeout"],
    ["a signal that is not an AbortSignal", "a", 1_000, { signal: "stop" }, "options.signal"],
    ["retryCount -2", "a", 1_000, { retryCount: -2 }, "options.retryCount"],
    ["an unknown option", "a", 1_000, { ttl: 5 }, "options.ttl"],
  ])("acquire rejects %s", async (_name, resources, ttl, options, field) => {
    const before = tap.sent.length;
    const error = await redlock
      .acquire(resources as string, ttl as number, options as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockConfigError);
    expect((error as LockConfigError).field).toBe(field);
    expect(tap.sent.length).toBe(before);
  });

  test("options seen valid before still reject a bad variant, and stay the caller's", async () => {
    const options = { timeout: 500, retryCount: 2 };
    for (let i = 0; i < 3; i++)
      await (await redlock.acquire("seen", 1_000, { ...options })).release();
    await (await redlock.acquire("seen", 1_000, options)).release();
    expect(Object.isFrozen(options)).toBe(false);
    const before = tap.sent.length;
    for (const bad of [
      { ...options, timeout: -500 },
      { ...options, timeout: "500" },
    ]) {
      const error = await redlock.acquire("seen", 1_000, bad as never).catch((e: unknown) => e);
      expect((error as LockConfigError).field).toBe("options.timeout");
    }
    expect(tap.sent.length).toBe(before);
  });

  test.each([0, -5, 2.5, NaN])("extend rejects duration %s", async (duration) => {
    const lock = await redlock.acquire("valid", 10_000);
    const before = tap.sent.length;
    const error = await lock.extend(duration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockConfigError);
    expect((error as LockConfigError).field).toBe("duration");
    expect(tap.sent.length).toBe(before);
    expect(lock.isHeld()).toBe(true);
    await lock.release();
  });
});

describe("nodes that are neither options nor a known client", () => {
  // None of these names a server: a Redlock that took any of them as node-redis options would
  // connect to 127.0.0.1:6379. They must be refused by the constructor, before anything opens.
  class Foo {
    readonly host = "127.0.0.1";
  }
  test.each<[string, unknown, string, RegExp]>([
    [
      "a class instance",
      new Foo(),
      "nodes.0",
      /nodes\.0: an object of class Foo is neither node-redis client options nor a client quorum-locks recognises \(node-redis, ioredis, iovalkey, ioredis-mock, Valkey GLIDE, a RedisAdapter\)/,
    ],
    ["a Map", new Map([["url", "redis://127.0.0.1:1"]]), "nodes.0", /an object of class Map/],
    ["a URL object", new URL("redis://127.0.0.1:1"), "nodes.0", /URL object; pass it as a string/],
    [
      "an object with functions",
      { sendCommand2: () => 1, exec: () => 2, url: "redis://127.0.0.1:1" },
      "nodes.0",
      /an object with methods \(sendCommand2, exec\) is neither node-redis client options/,
    ],
    [
      "ioredis-style options",
      { host: "127.0.0.1", port: 1 },
      "nodes.0.host",
      /host: is not a node-redis client option: give socket: \{ host, port \} or a url/,
    ],
    ["a misspelt option", { socket: {}, pasword: "x" }, "nodes.0.pasword", /not a node-redis/],
  ])("refuses %s, saying what it got", (_name, node, field, message) => {
    const error = configError(() => new Redlock(["redis://127.0.0.1:1", node as never]));
    expect(error.field).toBe(field.replace("nodes.0", "nodes.1"));
    expect(error.message).toMatch(new RegExp(message.source.replaceAll("nodes\\.0", "nodes\\.1")));
  });

  test("the LockManager refuses them the same way", () => {
    const error = configError(
      () => new LockManager({ redisNodes: [new Map() as never], cache: "memory" }),
    );
    expect(error.field).toBe("redisNodes.0");
    expect(error.message).toMatch(/an object of class Map is neither node-redis client options/);
  });

  describe("plain options still work", () => {
    const env = useNodes(1);

    test.each<[string, () => object]>([
      ["url", () => ({ url: env.nodes.urls[0] })],
      ["socket", () => ({ socket: { host: "127.0.0.1", port: env.nodes.servers[0]?.port } })],
      [
        "a null-prototype object",
        () => Object.assign(Object.create(null) as object, { url: env.nodes.urls[0] }),
      ],
    ])("%s", async (_name, options) => {
      const redlock = env.redlock({}, [options()]);
      const lock = await redlock.acquire("plain-options", 1_000);
      expect(lock.isHeld()).toBe(true);
      await lock.release();
    });
  });
});
