import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";
import { LIMIT_MISMATCH, parseSlotGrant } from "../../src/scripts/semaphore-acquire.js";
import { parseOwners } from "../../src/scripts/semaphore-peek.js";

// No server: the semaphore's scripts, encoded and decoded.
const { semaphoreAcquire, semaphorePeek, release } = scripts;
const quarantine = ["", "0"] as const;
const call = {
  slots: ["{s}:slot:1", "{s}:slot:2", "{s}:slot:3"],
  record: "{s}:limit",
  fence: "{s}:fence",
  token: "t",
  ttl: 1_000,
  permits: 2,
  order: [2, 1, 3],
  fencing: false,
  marker: "m",
  quarantine,
};

describe("semaphore-acquire", () => {
  test("encode: slots, record, fence counter, marker; token, ttl, permits, limit, ..., the order", () => {
    expect(semaphoreAcquire.encode(call)).toEqual([
      "EVALSHA",
      semaphoreAcquire.sha,
      "6",
      "{s}:slot:1",
      "{s}:slot:2",
      "{s}:slot:3",
      "{s}:limit",
      "{s}:fence",
      "m",
      "t",
      "1000",
      "2",
      "3",
      "",
      "0",
      "",
      "0",
      "",
      "2",
      "1",
      "3",
      "",
      "0",
    ]);
  });

  test("encode: a fair, fenced call adds the queue and leases, arrival, margin and channel", () => {
    const args = semaphoreAcquire.encode({
      ...call,
      fencing: true,
      fair: { queue: "q", leases: "l", arrival: 17, leaseMargin: 1_000, channel: "c" },
    });
    expect(args.slice(2, 11)).toEqual([
      "8",
      "{s}:slot:1",
      "{s}:slot:2",
      "{s}:slot:3",
      "{s}:limit",
      "{s}:fence",
      "q",
      "l",
      "m",
    ]);
    expect(args.slice(11)).toEqual([
      "t",
      "1000",
      "2",
      "3",
      "",
      "1",
      "17",
      "1000",
      "c",
      "2",
      "1",
      "3",
      "",
      "0",
    ]);
  });

  test("decode: slots taken (with a fence), another limit, held, anything else", () => {
    expect(semaphoreAcquire.decode("2,1")).toEqual({ outcome: 1, fence: "2,1" });
    expect(semaphoreAcquire.decode("3|1700000000000001")).toEqual({
      outcome: 1,
      fence: "3|1700000000000001",
    });
    expect(semaphoreAcquire.decode("limit:5")).toEqual({
      outcome: 4,
      message: `${LIMIT_MISMATCH}5`,
    });
    expect(semaphoreAcquire.decode(51)).toEqual({ outcome: 2, ttl: 50 });
    expect(semaphoreAcquire.decode(-1)).toEqual({ outcome: 2, ttl: -1 });
    expect(semaphoreAcquire.decode(0).outcome).toBe(4);
    expect(semaphoreAcquire.decode("nonsense").outcome).toBe(4);
    expect(semaphoreAcquire.decode(["2,1", 10, 1_000, "id"])).toMatchObject({
      outcome: 1,
      fence: "2,1",
      marker: { age: 10, recorded: 1_000, id: "id" },
    });
  });

  test("a grant's detail reads back as slots and fence", () => {
    expect(parseSlotGrant("2,1")).toEqual({ slots: [2, 1], fence: undefined });
    expect(parseSlotGrant("3|42")).toEqual({ slots: [3], fence: 42n });
  });
});

describe("semaphore-peek", () => {
  test("encode: the slots; decode: the owners, free slots empty", () => {
    expect(semaphorePeek.encode({ slots: ["a", "b"] })).toEqual([
      "EVALSHA",
      semaphorePeek.sha,
      "2",
      "a",
      "b",
    ]);
    expect(semaphorePeek.decode("x,,y")).toEqual({ outcome: 1, fence: "x,,y" });
    expect(parseOwners("x,,y")).toEqual(["x", "", "y"]);
    expect(semaphorePeek.decode(null).outcome).toBe(4);
  });
});

describe("release with one channel", () => {
  test("encode: the channel follows the prefix; without it, as before", () => {
    expect(
      release.encode({ resources: ["a", "b"], token: "t", channelPrefix: "p:", channel: "c" }),
    ).toEqual(["EVALSHA", release.sha, "2", "a", "b", "t", "p:", "c"]);
    expect(release.encode({ resources: ["a"], token: "t", channelPrefix: "p:" })).toEqual([
      "EVALSHA",
      release.sha,
      "1",
      "a",
      "t",
      "p:",
    ]);
  });
});
