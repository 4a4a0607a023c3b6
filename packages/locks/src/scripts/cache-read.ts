import source from "./cache-read.lua";
import { defineScript, evalshaArgs } from "./script.js";

/** A cache entry as cache-read.lua reads it: its times relative to the server's now, in ms. */
export interface CacheReadReply {
  readonly payload: string;
  readonly generation: number;
  /** ms since the write. */
  readonly age: number;
  /** ms until the entry stops being fresh, and servable stale (each may be negative). */
  readonly freshLeft: number;
  readonly staleLeft: number;
  /** ms until the error back-off ends; -1 when no fetch failed since the write. */
  readonly errorLeft: number;
  /** How long the fetch that produced the value took. */
  readonly fetchDuration: number;
}

const script = defineScript("cache-read", source);

/** KEYS: the cache key. */
function encode(key: string): string[] {
  return evalshaArgs(script, [key], []);
}

/** nil (no entry) or {payload, generation, age, freshLeft, staleLeft, errorLeft, fetchDuration}. */
function decode(reply: unknown): CacheReadReply | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (!Array.isArray(reply) || reply.length !== 7 || typeof reply[0] !== "string") {
    throw new Error("unexpected reply from cache-read");
  }
  const [payload, generation, age, freshLeft, staleLeft, errorLeft, fetchDuration] = reply as [
    string,
    ...unknown[],
  ];
  return {
    payload,
    generation: Number(generation),
    age: Number(age),
    freshLeft: Number(freshLeft),
    staleLeft: Number(staleLeft),
    errorLeft: Number(errorLeft),
    fetchDuration: Number(fetchDuration),
  };
}

export const cacheRead = { ...script, encode, decode };
