import type { CacheReadReply } from "../scripts/cache-read.js";
import type { CacheEntry } from "./store.js";

/**
 * The Redis form of an entry is a hash (v payload, g generation, t written at, f fresh until,
 * s stale until, e error back-off until, d fetch duration), its times on the server's clock.
 * cache-read.lua returns them relative to the server's now; they become epoch ms on this
 * process's clock here, so that hosts whose clocks differ still agree on what is fresh.
 */
export function entryFromRead(
  read: CacheReadReply | undefined,
  now: number,
): CacheEntry | undefined {
  if (read === undefined) return undefined;
  return {
    payload: read.payload,
    generation: read.generation,
    writtenAt: now - read.age,
    freshUntil: now + read.freshLeft,
    staleUntil: now + read.staleLeft,
    errorUntil: read.errorLeft < 0 ? 0 : now + read.errorLeft,
    fetchDuration: read.fetchDuration,
  };
}

/** "w:<generation>" / "e:<message>" as the scripts publish them; messages are kept short. */
export function failureNotice(message: string): string {
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
