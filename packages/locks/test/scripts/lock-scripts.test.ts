import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";
import { Outcome } from "../../src/scripts/reply.js";

// No server: each lock script's KEYS/ARGV layout and the decoding of each documented reply.
const { acquire, acquireFenced, extend, fairAcquire, fairLeave, fenceRaise, release } = scripts;
const quarantine = ["30000", "30010"] as const;
const marker = "quorum-locks:node";
const young = (inner: unknown) => [inner, 250, 30_000, "1700000000000123"];
const markerReading = { age: 250, recorded: 30_000, id: "1700000000000123" };

describe("acquire", () => {
  test("encode: resources then the marker; token, ttl, then the quarantine", () => {
    expect(
      acquire.encode({ resources: ["a", "b"], token: "t", ttl: 1500, marker, quarantine }),
    ).toEqual(["EVALSHA", acquire.sha, "3", "a", "b", marker, "t", "1500", "30000", "30010"]);
  });

  test("decode: granted, held for n - 1 ms, held without expiry, anything else", () => {
    expect(acquire.decode(0)).toEqual({ outcome: Outcome.Granted });
    expect(acquire.decode(1201)).toEqual({ outcome: Outcome.Held, ttl: 1200 });
    expect(acquire.decode(-1)).toEqual({ outcome: Outcome.Held, ttl: -1 });
    expect(acquire.decode("0")).toEqual({
      outcome: Outcome.Unexpected,
      message: 'unexpected reply "0"',
    });
    expect(acquire.decode(null).outcome).toBe(Outcome.Unexpected);
  });

  test("decode: a young marker comes along with the body's reply", () => {
    expect(acquire.decode(young(0))).toEqual({ outcome: Outcome.Granted, marker: markerReading });
    expect(acquire.decode([5, 250, 30_000, 17])).toEqual({
      outcome: Outcome.Held,
      ttl: 4,
      marker: { age: 250, recorded: 30_000, id: "17" },
    });
    // Not a marker's table: read as the body's reply, which it is not.
    expect(acquire.decode([0, "250", 30_000, "x"]).outcome).toBe(Outcome.Unexpected);
    expect(acquire.decode([0, 250]).outcome).toBe(Outcome.Unexpected);
  });
});

describe("acquire-fenced", () => {
  test("encode: resources, their fence counters, the marker", () => {
    expect(
      acquireFenced.encode({
        resources: ["a", "b"],
        fences: ["{a}:fence", "{b}:fence"],
        token: "t",
        ttl: 1000,
        marker,
        quarantine,
      }),
    ).toEqual([
      "EVALSHA",
      acquireFenced.sha,
      "5",
      "a",
      "b",
      "{a}:fence",
      "{b}:fence",
      marker,
      "t",
      "1000",
      ...quarantine,
    ]);
  });

  test("decode: a grant is the node's token in decimal; a plain grant is not this script's", () => {
    expect(acquireFenced.decode("1700000000000000")).toEqual({
      outcome: Outcome.Granted,
      fence: "1700000000000000",
    });
    expect(acquireFenced.decode(0).outcome).toBe(Outcome.Unexpected);
    expect(acquireFenced.decode("17e15").outcome).toBe(Outcome.Unexpected);
    expect(acquireFenced.decode(8)).toEqual({ outcome: Outcome.Held, ttl: 7 });
    expect(acquireFenced.decode(young("42"))).toEqual({
      outcome: Outcome.Granted,
      fence: "42",
      marker: markerReading,
    });
  });
});

describe("fair-acquire", () => {
  const call = {
    resource: "r",
    queue: "{r}:fair-queue",
    leases: "{r}:fair-leases",
    token: "t",
    ttl: 2000,
    arrival: 1_700_000_000_000,
    leaseMargin: 1000,
    marker,
    quarantine,
  };

  test("encode: the fence counter is the fourth key only for a fenced lock", () => {
    const argv = ["t", "2000", "1700000000000", "1000", ...quarantine];
    expect(fairAcquire.encode({ ...call, fence: undefined })).toEqual([
      "EVALSHA",
      fairAcquire.sha,
      "4",
      "r",
      "{r}:fair-queue",
      "{r}:fair-leases",
      marker,
      ...argv,
    ]);
    expect(fairAcquire.encode({ ...call, fence: "{r}:fence" }).slice(2, 8)).toEqual([
      "5",
      "r",
      "{r}:fair-queue",
      "{r}:fair-leases",
      "{r}:fence",
      marker,
    ]);
  });

  test("decode as acquire's without a counter, as acquire-fenced's with one", () => {
    expect(fairAcquire.decode(0)).toEqual({ outcome: Outcome.Granted });
    expect(fairAcquire.decode("99").outcome).toBe(Outcome.Unexpected);
    expect(fairAcquire.decodeFenced("99")).toEqual({ outcome: Outcome.Granted, fence: "99" });
    expect(fairAcquire.decodeFenced(0).outcome).toBe(Outcome.Unexpected);
    expect(fairAcquire.decode(1)).toEqual({ outcome: Outcome.Held, ttl: 0 });
  });
});

describe("extend", () => {
  test("encode: resources, marker; token, ttl, quarantine", () => {
    expect(extend.encode({ resources: ["a"], token: "t", ttl: 700, marker, quarantine })).toEqual([
      "EVALSHA",
      extend.sha,
      "2",
      "a",
      marker,
      "t",
      "700",
      ...quarantine,
    ]);
  });

  test("decode: extended, healed, another owner's, anything else", () => {
    expect(extend.decode(1)).toEqual({ outcome: Outcome.Granted, healed: false });
    expect(extend.decode(2)).toEqual({ outcome: Outcome.Granted, healed: true });
    expect(extend.decode(0)).toEqual({ outcome: Outcome.NotOwner });
    expect(extend.decode(young(2))).toEqual({
      outcome: Outcome.Granted,
      healed: true,
      marker: markerReading,
    });
    expect(extend.decode("OK").outcome).toBe(Outcome.Unexpected);
  });
});

describe("release, fence-raise, fair-leave", () => {
  test("encode", () => {
    expect(release.encode({ resources: ["a", "b"], token: "t", channelPrefix: "p:" })).toEqual([
      "EVALSHA",
      release.sha,
      "2",
      "a",
      "b",
      "t",
      "p:",
    ]);
    expect(
      fenceRaise.encode({ resources: ["a"], fences: ["{a}:fence"], token: "t", fence: 2n ** 60n }),
    ).toEqual(["EVALSHA", fenceRaise.sha, "2", "a", "{a}:fence", "t", "1152921504606846976"]);
    expect(
      fairLeave.encode({ resource: "r", queue: "q", leases: "l", token: "t", channelPrefix: "" }),
    ).toEqual(["EVALSHA", fairLeave.sha, "3", "r", "q", "l", "t", ""]);
  });

  test("decode: a count above 0 is done, 0 is not ours", () => {
    for (const script of [release, fenceRaise, fairLeave]) {
      expect(script.decode(2)).toEqual({ outcome: Outcome.Granted });
      expect(script.decode(1)).toEqual({ outcome: Outcome.Granted });
      expect(script.decode(0)).toEqual({ outcome: Outcome.NotOwner });
      expect(script.decode(undefined)).toEqual({
        outcome: Outcome.Unexpected,
        message: "unexpected reply undefined",
      });
    }
  });
});
