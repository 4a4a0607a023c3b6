import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";
import { Outcome } from "../../src/scripts/reply.js";
import { evalSource } from "../../src/scripts/script.js";
import { FakeServer } from "../../src/testing/server.js";

// No server: extend-many's KEYS/ARGV layout, the decoding of its reply, and (through the fake
// server's Lua interpreter) each lock judged on its own token as extend.lua judges one.
const { extendMany } = scripts;
const quarantine = ["30000", "30010"] as const;
const marker = "quorum-locks:node";

describe("extend-many", () => {
  test("encode: each lock's keys then companions, the marker; count, largest ttl, per lock token/ttl/keys/companions, quarantine", () => {
    expect(
      extendMany.encode({
        locks: [
          { keys: ["a", "b"], token: "t1", ttl: 700 },
          { keys: ["c"], token: "t2", ttl: 900, companions: ["info:c:t2"] },
        ],
        marker,
        quarantine,
      }),
    ).toEqual([
      "EVALSHA",
      extendMany.sha,
      "5",
      "a",
      "b",
      "c",
      "info:c:t2",
      marker,
      "2",
      "900",
      "t1",
      "700",
      "2",
      "0",
      "t2",
      "900",
      "1",
      "1",
      ...quarantine,
    ]);
  });

  test("decode: one code per lock; a young marker comes along; anything else is unexpected", () => {
    const reply = extendMany.decode("120", 3);
    expect(reply.outcome).toBe(Outcome.Granted);
    expect(reply.outcome === Outcome.Granted && [...reply.codes]).toEqual([1, 2, 0]);
    const young = extendMany.decode(["11", 250, 30_000, "17"], 2);
    expect(young.marker).toEqual({ age: 250, recorded: 30_000, id: "17" });
    expect(young.outcome === Outcome.Granted && [...young.codes]).toEqual([1, 1]);
    // Too few or too many codes, codes none of the script's, other types.
    expect(extendMany.decode("12", 3).outcome).toBe(Outcome.Unexpected);
    expect(extendMany.decode("1234", 4).outcome).toBe(Outcome.Unexpected);
    expect(extendMany.decode(1, 1).outcome).toBe(Outcome.Unexpected);
    expect(extendMany.decode(null, 1).outcome).toBe(Outcome.Unexpected);
  });

  test("runs: extended, healed, another owner's untouched, companions extended where extended", () => {
    let now = 1_700_000_000_000;
    const server = new FakeServer({
      now: () => now,
      publish: () => 0,
      subscriptions: () => new Map(),
    });
    server.execute(["SET", "mine", "t1", "PX", "1000"]);
    server.execute(["SET", "theirs", "other", "PX", "1000"]);
    server.execute(["SET", "info:mine", "{}", "PX", "1000"]);
    server.execute(["SET", "info:theirs", "{}", "PX", "1000"]);
    const args = extendMany.encode({
      locks: [
        { keys: ["mine"], token: "t1", ttl: 5_000, companions: ["info:mine"] },
        // Missing on this node: set again, all or none.
        { keys: ["gone:a", "gone:b"], token: "t2", ttl: 6_000 },
        { keys: ["theirs"], token: "t3", ttl: 7_000, companions: ["info:theirs"] },
        // Partly another owner's: nothing of it is set.
        { keys: ["free", "theirs"], token: "t4", ttl: 8_000 },
      ],
      marker,
      quarantine: ["", "0"],
    });
    const reply = server.execute(evalSource(extendMany, args));
    const decoded = extendMany.decode(reply, 4);
    expect(decoded.outcome === Outcome.Granted && [...decoded.codes]).toEqual([1, 2, 0, 0]);
    now += 2_000;
    expect(server.execute(["PTTL", "mine"])).toBe(3_000);
    expect(server.execute(["PTTL", "info:mine"])).toBe(3_000);
    expect(server.execute(["GET", "gone:a"])).toBe("t2");
    expect(server.execute(["PTTL", "gone:b"])).toBe(4_000);
    // The other owner's key and its record expired on their own ttl.
    expect(server.execute(["GET", "theirs"])).toBe(null);
    expect(server.execute(["GET", "info:theirs"])).toBe(null);
    expect(server.execute(["GET", "free"])).toBe(null);
  });
});
