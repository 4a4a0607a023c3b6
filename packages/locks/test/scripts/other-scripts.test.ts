import { describe, expect, test } from "vitest";
import { scripts } from "../../src/scripts/index.js";

// No server: the marker check and the cache scripts, encoded and decoded.
const { cacheFail, cacheRead, cacheWrite, markerCheck } = scripts;

describe("marker-check", () => {
  test("encode: the marker key; the run_id", () => {
    expect(markerCheck.encode({ marker: "m", runId: "abc" })).toEqual([
      "EVALSHA",
      markerCheck.sha,
      "1",
      "m",
      "abc",
    ]);
  });

  test("decode: reset or kept, with the ttl the marker records", () => {
    expect(markerCheck.decode([1, 30_000])).toEqual({ reset: true, recorded: 30_000 });
    expect(markerCheck.decode([0, 0])).toEqual({ reset: false, recorded: 0 });
    expect(markerCheck.decode("OK")).toEqual({ reset: false, recorded: undefined });
  });
});

describe("cache-read", () => {
  test("encode: the key alone", () => {
    expect(cacheRead.encode("k")).toEqual(["EVALSHA", cacheRead.sha, "1", "k"]);
  });

  test("decode: no entry, an entry with its relative times, a malformed reply", () => {
    expect(cacheRead.decode(null)).toBeUndefined();
    expect(cacheRead.decode(["v", 7, 10, 90, 990, -1, 12])).toEqual({
      payload: "v",
      generation: 7,
      age: 10,
      freshLeft: 90,
      staleLeft: 990,
      errorLeft: -1,
      fetchDuration: 12,
    });
    expect(() => cacheRead.decode([1, 7, 10, 90, 990, -1, 12])).toThrow(/cache-read/);
    expect(() => cacheRead.decode(["v", 7])).toThrow(/cache-read/);
  });
});

describe("cache-write", () => {
  const write = {
    key: "k",
    payload: "v",
    ttl: 99.2,
    staleTtl: 999.1,
    fetchDuration: 12.5,
    channel: "k",
  };

  test("encode: whole ms, -1 for an unconditional write, the inline flag", () => {
    expect(cacheWrite.encode({ ...write, expectedGeneration: undefined, inline: true })).toEqual([
      "EVALSHA",
      cacheWrite.sha,
      "1",
      "k",
      "v",
      "-1",
      "100",
      "1000",
      "13",
      "k",
      "1",
    ]);
    expect(cacheWrite.encode({ ...write, expectedGeneration: 0, inline: false }).slice(5)).toEqual([
      "0",
      "100",
      "1000",
      "13",
      "k",
      "",
    ]);
  });

  test("decode: written with the new generation, or changed with the current one", () => {
    expect(cacheWrite.decode([1, 1_700_000_000_000])).toEqual({
      written: true,
      generation: 1_700_000_000_000,
    });
    expect(cacheWrite.decode([0, 5])).toEqual({ written: false, generation: 5 });
    expect(() => cacheWrite.decode(1)).toThrow(/cache-write/);
  });
});

describe("cache-fail", () => {
  test("encode and decode", () => {
    expect(
      cacheFail.encode({
        key: "k",
        expectedGeneration: 3,
        backoff: 250.5,
        channel: "",
        message: "boom",
      }),
    ).toEqual(["EVALSHA", cacheFail.sha, "1", "k", "3", "251", "", "boom"]);
    expect(cacheFail.decode(1)).toBe(true);
    expect(cacheFail.decode(0)).toBe(false);
  });
});
