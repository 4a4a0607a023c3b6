import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";
import { Outcome } from "../../src/scripts/reply.js";

// No server: the read-write lock's scripts, their KEYS/ARGV layout and the decoding of each
// documented reply.
const { rwAcquireRead, rwAcquireWrite, rwDowngrade, rwExtend, rwRelease } = scripts;
const keys = { writer: "{d}:rw-writer", readers: "{d}:rw-readers", intent: "{d}:rw-intent" };
const quarantine = ["30000", "30010"] as const;
const marker = "quorum-locks:node";
const markerReading = { age: 250, recorded: 30_000, id: "17" };

describe("rw-acquire-read", () => {
  test("encode: writer, readers, intent, marker; token, ttl, quarantine", () => {
    expect(rwAcquireRead.encode({ keys, token: "t", ttl: 900, marker, quarantine })).toEqual([
      "EVALSHA",
      rwAcquireRead.sha,
      "4",
      keys.writer,
      keys.readers,
      keys.intent,
      marker,
      "t",
      "900",
      ...quarantine,
    ]);
  });

  test("decode: granted, refused for n - 1 ms, held forever, marker, anything else", () => {
    expect(rwAcquireRead.decode(0)).toEqual({ outcome: Outcome.Granted });
    expect(rwAcquireRead.decode(501)).toEqual({ outcome: Outcome.Held, ttl: 500 });
    expect(rwAcquireRead.decode(-1)).toEqual({ outcome: Outcome.Held, ttl: -1 });
    expect(rwAcquireRead.decode([0, 250, 30_000, 17])).toEqual({
      outcome: Outcome.Granted,
      marker: markerReading,
    });
    expect(rwAcquireRead.decode("x").outcome).toBe(Outcome.Unexpected);
  });
});

describe("rw-acquire-write", () => {
  const call = { keys, token: "t", ttl: 900, intentTtl: 2000, marker, quarantine };

  test("encode: the fence counter before the marker only when fenced; intent ttl third", () => {
    expect(rwAcquireWrite.encode({ ...call, fence: undefined })).toEqual([
      "EVALSHA",
      rwAcquireWrite.sha,
      "4",
      keys.writer,
      keys.readers,
      keys.intent,
      marker,
      "t",
      "900",
      "2000",
      ...quarantine,
    ]);
    expect(rwAcquireWrite.encode({ ...call, fence: "f" }).slice(2, 8)).toEqual([
      "5",
      keys.writer,
      keys.readers,
      keys.intent,
      "f",
      marker,
    ]);
  });

  test("decode: plain and fenced grants, refusals", () => {
    expect(rwAcquireWrite.decode(0)).toEqual({ outcome: Outcome.Granted });
    expect(rwAcquireWrite.decode(11)).toEqual({ outcome: Outcome.Held, ttl: 10 });
    expect(rwAcquireWrite.decodeFenced("1700000000000001")).toEqual({
      outcome: Outcome.Granted,
      fence: "1700000000000001",
    });
    expect(rwAcquireWrite.decodeFenced(0).outcome).toBe(Outcome.Unexpected);
    expect(rwAcquireWrite.decodeFenced(11)).toEqual({ outcome: Outcome.Held, ttl: 10 });
  });
});

describe("rw-extend", () => {
  test("encode: writer, readers, marker; token, ttl, r or w, quarantine", () => {
    const base = { keys, token: "t", ttl: 700, marker, quarantine };
    expect(rwExtend.encode({ ...base, kind: "read" })).toEqual([
      "EVALSHA",
      rwExtend.sha,
      "3",
      keys.writer,
      keys.readers,
      marker,
      "t",
      "700",
      "r",
      ...quarantine,
    ]);
    expect(rwExtend.encode({ ...base, kind: "write" })[8]).toBe("w");
  });

  test("decode: extended, healed, another owner's, anything else", () => {
    expect(rwExtend.decode(1)).toEqual({ outcome: Outcome.Granted, healed: false });
    expect(rwExtend.decode(2)).toEqual({ outcome: Outcome.Granted, healed: true });
    expect(rwExtend.decode(0)).toEqual({ outcome: Outcome.NotOwner });
    expect(rwExtend.decode(null).outcome).toBe(Outcome.Unexpected);
  });
});

describe("rw-release", () => {
  test("encode: writer, readers, intent; token, channel, whether the intent goes", () => {
    expect(rwRelease.encode({ keys, token: "t", channel: "c", dropIntent: true })).toEqual([
      "EVALSHA",
      rwRelease.sha,
      "3",
      keys.writer,
      keys.readers,
      keys.intent,
      "t",
      "c",
      "1",
    ]);
    expect(rwRelease.encode({ keys, token: "t", channel: "", dropIntent: false }).slice(7)).toEqual(
      ["", "0"],
    );
  });

  test("decode: a lease deleted, none, anything else", () => {
    expect(rwRelease.decode(1)).toEqual({ outcome: Outcome.Granted });
    expect(rwRelease.decode(0)).toEqual({ outcome: Outcome.NotOwner });
    expect(rwRelease.decode("1").outcome).toBe(Outcome.Unexpected);
  });
});

describe("rw-downgrade", () => {
  test("encode: writer, readers; token, ttl, channel", () => {
    expect(rwDowngrade.encode({ keys, token: "t", ttl: 500, channel: "c" })).toEqual([
      "EVALSHA",
      rwDowngrade.sha,
      "2",
      keys.writer,
      keys.readers,
      "t",
      "500",
      "c",
    ]);
  });

  test("decode: downgraded, held nothing", () => {
    expect(rwDowngrade.decode(1)).toEqual({ outcome: Outcome.Granted });
    expect(rwDowngrade.decode(0)).toEqual({ outcome: Outcome.NotOwner });
  });
});

describe("the rw scripts' Lua", () => {
  test("every include is expanded, and each header documents its keys", () => {
    for (const script of [rwAcquireRead, rwAcquireWrite, rwDowngrade, rwExtend, rwRelease]) {
      expect(script.source).not.toMatch(/^--- @include/m);
      expect(script.source).toMatch(/Input:/);
      expect(script.source).toMatch(/Output:/);
    }
    // The prune helper reaches every script that reads the readers' leases.
    for (const script of [rwAcquireRead, rwAcquireWrite, rwDowngrade, rwExtend]) {
      expect(script.source).toMatch(/local function prune/);
    }
  });
});
