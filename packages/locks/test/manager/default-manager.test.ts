import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { RedisServer } from "@quorum-locks/redis-servers";
import {
  closeLocks,
  configureLocks,
  defaultManager,
  distributedLock,
  getLock,
  LockConfigError,
  LockTimeoutError,
  nodesFromEnv,
} from "../../src/index.js";
import { quarantineFromEnv } from "../../src/manager/env-config.js";

const ENV = [
  "REDLOCK_NODES",
  "REDIS_URL",
  "REDIS_HOST",
  "REDIS_PORT",
  "REDIS_PASSWORD",
  "REDLOCK_RESTART_QUARANTINE",
];

describe("nodes from the environment", () => {
  test("REDLOCK_NODES wins, then REDIS_URL, then REDIS_HOST + REDIS_PORT + REDIS_PASSWORD", () => {
    expect(
      nodesFromEnv({ REDLOCK_NODES: "redis://a:1, redis://b:2,,", REDIS_URL: "redis://c:3" }),
    ).toEqual(["redis://a:1", "redis://b:2"]);
    expect(nodesFromEnv({ REDIS_URL: "redis://c:3", REDIS_HOST: "d" })).toEqual(["redis://c:3"]);
    expect(nodesFromEnv({ REDIS_HOST: "d", REDIS_PORT: "7000", REDIS_PASSWORD: "pw" })).toEqual([
      { socket: { host: "d", port: 7000 }, password: "pw" },
    ]);
    expect(nodesFromEnv({ REDIS_HOST: "d" })).toEqual([{ socket: { host: "d", port: 6379 } }]);
  });

  test("REDLOCK_RESTART_QUARANTINE sets the default manager's restart quarantine", () => {
    expect(quarantineFromEnv({})).toEqual({});
    expect(quarantineFromEnv({ REDLOCK_RESTART_QUARANTINE: " 0 " })).toEqual({
      restartQuarantine: 0,
    });
    expect(quarantineFromEnv({ REDLOCK_RESTART_QUARANTINE: "60000" })).toEqual({
      restartQuarantine: 60_000,
    });
    for (const bad of ["-1", "1.5", "soon"]) {
      expect(() => quarantineFromEnv({ REDLOCK_RESTART_QUARANTINE: bad })).toThrow(
        /REDLOCK_RESTART_QUARANTINE: must be a whole number of milliseconds/,
      );
    }
  });

  test("nothing configured, or a bad port, is a LockConfigError that shows no secret", () => {
    expect(() => nodesFromEnv({})).toThrow(
      /call configureLocks\(\{ redisNodes \}\) or set REDLOCK_NODES/,
    );
    const error = (() => {
      try {
        nodesFromEnv({ REDIS_HOST: "d", REDIS_PORT: "x", REDIS_PASSWORD: "s3cret" });
      } catch (e) {
        return e as LockConfigError;
      }
    })();
    expect(error).toBeInstanceOf(LockConfigError);
    expect(error?.field).toBe("REDIS_PORT");
    expect(error?.message).not.toContain("s3cret");
  });
});

describe("the process-wide default manager", () => {
  let server: RedisServer;
  const saved = new Map(ENV.map((k) => [k, process.env[k]]));
  beforeAll(async () => {
    server = await RedisServer.start({ args: ["--requirepass", "s3cret-pw"] });
  });
  afterEach(async () => {
    await closeLocks();
    for (const [k, v] of saved) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    await server.stop();
  });

  test("getLock with nothing configured rejects with LockConfigError", async () => {
    for (const k of ENV) Reflect.deleteProperty(process.env, k);
    await expect(getLock("x")).rejects.toBeInstanceOf(LockConfigError);
  });

  test("is built from REDIS_HOST, REDIS_PORT and REDIS_PASSWORD on first use", async () => {
    for (const k of ENV) Reflect.deleteProperty(process.env, k);
    process.env["REDIS_HOST"] = "127.0.0.1";
    process.env["REDIS_PORT"] = String(server.port);
    process.env["REDIS_PASSWORD"] = "s3cret-pw";
    process.env["REDLOCK_RESTART_QUARANTINE"] = "0"; // the server was started a moment ago
    {
      await using lock = await getLock("my_resource", { timeout: 5_000 });
      expect(lock.hasLock()).toBe(true);
      expect(await defaultManager().isLocked("my_resource")).toBe(true);
    }
    expect(await defaultManager().isLocked("my_resource")).toBe(false);
    const health = await defaultManager().healthCheck();
    expect(health.healthy).toBe(true);
    expect(JSON.stringify(health)).not.toContain("s3cret-pw");
  });

  test("a wrong password fails without showing it", async () => {
    const manager = configureLocks({
      redisNodes: [`redis://default:wrong-pw@127.0.0.1:${server.port}`],
      commandTimeout: 300,
    });
    const seen: string[] = [];
    manager.on("nodeError", (node, error) => seen.push(`${node} ${error.message}`));
    const error = (await getLock("guarded", { timeout: 0 }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(LockTimeoutError);
    const health = await manager.healthCheck();
    expect(health.healthy).toBe(false);
    const shown = [error.message, JSON.stringify(health), ...seen].join("\n");
    expect(shown).not.toContain("wrong-pw");
    expect(shown).toContain(`127.0.0.1:${server.port}`);
  });

  test("decorators without a manager use the default one", async () => {
    const manager = configureLocks({
      redisNodes: [`redis://:s3cret-pw@127.0.0.1:${server.port}`],
    });
    class Jobs {
      @distributedLock("job:{0}")
      async run(id: number): Promise<boolean> {
        return manager.isLocked(`job:${id}`);
      }
    }
    expect(await new Jobs().run(1)).toBe(true);
    expect(manager.getStatistics().locks.acquisitions).toBe(1);
  });

  test("configureLocks replaces the default manager", async () => {
    const first = configureLocks({
      redisNodes: [`redis://:s3cret-pw@127.0.0.1:${server.port}`],
    });
    expect(defaultManager()).toBe(first);
    const second = configureLocks({
      redisNodes: [`redis://:s3cret-pw@127.0.0.1:${server.port}`],
    });
    expect(defaultManager()).toBe(second);
    await expect(first.getLock("x")).rejects.toThrow(/closed/);
    await using lock = await getLock("y");
    expect(lock.hasLock()).toBe(true);
  });
});
