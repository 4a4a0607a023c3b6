import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";
import { createFakeRedis, type FakeNode } from "../../src/testing/index.js";

// The fake server's commands and its Lua, checked against what a Redis server answers (the
// values below are Redis 7's replies to the same commands and scripts).
const START = 1_800_000_000_123;

function node(): FakeNode {
  return createFakeRedis({ clock: () => START }).node;
}
const evalOn = (n: FakeNode, source: string, keys: string[] = [], argv: string[] = []) =>
  n.command("EVAL", source, String(keys.length), ...keys, ...argv);

describe("the fake's Lua", () => {
  test("every script of the library compiles on it", async () => {
    const n = node();
    for (const script of Object.values(scripts)) {
      expect(await n.command("SCRIPT", "LOAD", script.source)).toBe(script.sha);
    }
  });

  test("numbers are doubles, turned into text as Redis' Lua 5.1 does", async () => {
    const n = node();
    expect(await evalOn(n, "return tostring(1e15) .. ' ' .. tostring(1e14) .. ' ' .. 10 / 4")).toBe(
      "1e+15 1e+14 2.5",
    );
    expect(await evalOn(n, "return string.format('%.0f', 1796152173702000)")).toBe(
      "1796152173702000",
    );
    expect(await evalOn(n, "return string.format('%d:%5.2f:%s:%x', 42, 3.14159, 'a', 255)")).toBe(
      "42: 3.14:a:ff",
    );
    // A number reply is truncated to an integer; a float in a table too.
    expect(await evalOn(n, "return {3.9, -2.5, 7 % 3, 2 ^ 10}")).toEqual([3, -2, 1, 1024]);
    expect(await evalOn(n, "return tonumber('0x10') + tonumber('  12  ') + tonumber('1e2')")).toBe(
      128,
    );
    expect(await evalOn(n, "return tonumber('12abc') == nil")).toBe(1);
  });

  test("tables, closures, loops and pcall behave as in Lua", async () => {
    const n = node();
    const source = `
      local function counter()
        local count = 0
        return function() count = count + 1; return count end
      end
      local next1 = counter()
      next1(); next1()
      local t = {}
      for i = 10, 1, -3 do table.insert(t, i) end
      local sum = 0
      for _, v in ipairs(t) do sum = sum + v end
      local keys = 0
      for k in pairs({a = 1, b = 2, 3}) do keys = keys + 1 end
      local ok, err = pcall(function() error('boom') end)
      local i = 0
      repeat i = i + 1 until i >= 4
      while true do if i > 6 then break end i = i + 1 end
      return {next1(), table.concat(t, ','), sum, keys, tostring(ok), err, i, #KEYS, ARGV[1]}
    `;
    expect(await evalOn(n, source, ["k1", "k2"], ["x"])).toEqual([
      3,
      "10,7,4,1",
      22,
      3,
      "false",
      "boom",
      7,
      2,
      "x",
    ]);
  });

  test("replies convert as on a server: nil ends an array, status and error tables", async () => {
    const n = node();
    expect(await evalOn(n, "return {1, 'two', nil, 4}")).toEqual([1, "two"]);
    expect(await evalOn(n, "return {1, false, {true}}")).toEqual([1, null, [1]]);
    expect(await evalOn(n, "return redis.call('SET', 'k', 'v')")).toBe("OK");
    expect(await evalOn(n, "return redis.call('GET', 'missing') == false")).toBe(1);
    expect(await evalOn(n, "return redis.status_reply('FINE')")).toBe("FINE");
    await expect(evalOn(n, "return redis.error_reply('MYERR nope')")).rejects.toThrow(
      /^MYERR nope$/,
    );
    await expect(evalOn(n, "return redis.call('HGET', 'k', 'f')")).rejects.toThrow(/^WRONGTYPE/);
    expect(await evalOn(n, "return redis.pcall('HGET', 'k', 'f')['err']")).toMatch(/^WRONGTYPE/);
  });

  test("what it does not emulate fails loudly, never quietly", async () => {
    const n = node();
    await expect(evalOn(n, "return cjson.encode({})")).rejects.toThrow(
      /attempt to index a nil value/,
    );
    await expect(evalOn(n, "return setmetatable({}, {})")).rejects.toThrow(
      /attempt to call a nil value \(global 'setmetatable'\)/,
    );
    await expect(evalOn(n, "goto done")).rejects.toThrow(/compiling/);
    await expect(evalOn(n, "return redis.call('OBJECT', 'ENCODING', 'k')")).rejects.toThrow(
      /not allowed from script/,
    );
    await expect(n.command("OBJECT", "ENCODING", "k")).rejects.toThrow(/unknown command/);
  });
});

describe("the fake's commands", () => {
  test("EVALSHA runs a loaded script; an unknown SHA is NOSCRIPT until EVAL or SCRIPT LOAD", async () => {
    const n = node();
    const sha = scripts.release.sha;
    await expect(n.command("EVALSHA", sha, "1", "k", "t", "")).rejects.toThrow(/^NOSCRIPT/);
    await n.command("SCRIPT", "LOAD", scripts.release.source);
    await n.command("SET", "k", "t");
    expect(await n.command("EVALSHA", sha, "1", "k", "t", "")).toBe(1);
    n.restart();
    await expect(n.command("EVALSHA", sha, "1", "k", "t", "")).rejects.toThrow(/^NOSCRIPT/);
  });

  test("TIME, PTTL and expiry follow the fake clock", async () => {
    const fake = createFakeRedis({ clock: () => START });
    const n = fake.node;
    expect(await n.command("TIME")).toEqual(["1800000000", "123000"]);
    await n.command("SET", "k", "v", "PX", "1000");
    await n.command("HSET", "h", "f", "1");
    expect(await n.command("PTTL", "k")).toBe(1000);
    expect(await n.command("PTTL", "h")).toBe(-1);
    expect(await n.command("PTTL", "none")).toBe(-2);
    fake.advance(999.5);
    expect(await n.command("PTTL", "k")).toBe(1);
    expect(await n.command("TIME")).toEqual(["1800000001", "122500"]);
    fake.advance(0.5);
    expect(await n.command("GET", "k")).toBeNull();
    expect(await n.command("SET", "k", "w", "NX", "PX", "10")).toBe("OK");
    expect(await n.command("SET", "k", "x", "NX")).toBeNull();
    await expect(n.command("SET", "k", "x", "PX", "0")).rejects.toThrow(/invalid expire time/);
  });

  test("sorted sets order by score, then member", async () => {
    const n = node();
    expect(await n.command("ZADD", "z", "2", "b", "1", "c", "2", "a")).toBe(3);
    expect(await n.command("ZADD", "z", "NX", "5", "a")).toBe(0);
    expect(await n.command("ZRANGE", "z", "0", "-1")).toEqual(["c", "a", "b"]);
    expect(await n.command("ZRANGEBYSCORE", "z", "-inf", "(2")).toEqual(["c"]);
    expect(await n.command("ZSCORE", "z", "a")).toBe("2");
    expect(await n.command("ZREM", "z", "a", "b", "c")).toBe(3);
    expect(await n.command("EXISTS", "z")).toBe(0);
  });

  test("INFO reports the run_id and an uptime on the fake clock; restart() makes a new process", async () => {
    const fake = createFakeRedis({ clock: () => START });
    const n = fake.node;
    fake.advance(90_000);
    const info = (await n.command("INFO", "server")) as string;
    expect(info).toContain(`run_id:${n.runId}\r\n`);
    expect(info).toContain("uptime_in_seconds:90\r\n");
    const before = n.runId;
    const generation = n.generation;
    await n.command("SET", "k", "v");
    n.restart();
    expect(n.runId).not.toBe(before);
    expect(n.generation).toBe(generation + 1);
    expect(await n.command("GET", "k")).toBeNull();
    expect(await n.command("INFO")).toContain("uptime_in_seconds:0\r\n");
  });

  test("a killed node refuses at once; a paused one holds its replies until resumed", async () => {
    const n = node();
    n.pause();
    let answered = false;
    const held = n.command("PING").then((r) => {
      answered = true;
      return r;
    });
    await Promise.resolve();
    expect(answered).toBe(false);
    n.resume();
    expect(await held).toBe("PONG");
    n.kill();
    expect(n.up).toBe(false);
    await expect(n.command("PING")).rejects.toThrow(/killed/);
    n.restart();
    expect(await n.command("PING")).toBe("PONG");
  });

  test("PUBLISH reaches the node's subscribers after the reply, and only theirs", async () => {
    const fake = createFakeRedis({ nodes: 2 });
    const [a, b] = fake.nodes;
    if (a === undefined || b === undefined) throw new Error("two nodes");
    const heard: string[] = [];
    const subscriber = a.openSubscriber();
    const listener = (m: string) => heard.push(m);
    await subscriber.subscribe("ch", listener);
    expect(await b.command("PUBLISH", "ch", "elsewhere")).toBe(0);
    expect(await a.command("PUBLISH", "ch", "hello")).toBe(1);
    expect(await a.command("PUBSUB", "NUMSUB", "ch")).toEqual(["ch", 1]);
    await Promise.resolve();
    expect(heard).toEqual(["hello"]);
    await subscriber.close();
    expect(await a.command("PUBLISH", "ch", "gone")).toBe(0);
  });
});
