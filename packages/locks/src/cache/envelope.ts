import type { CacheEntry } from "./store.js";

/**
 * The Redis form of an entry is a hash (v payload, g generation, t written at, f fresh until,
 * s stale until, e error back-off until, d fetch duration), its times on the server's clock.
 * cache-read.lua returns them relative to the server's now; they become epoch ms on this
 * process's clock here, so that hosts whose clocks differ still agree on what is fresh.
 */
export function entryFromReply(reply: unknown, now: number): CacheEntry | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (!Array.isArray(reply) || reply.length !== 7) {
    throw new Error("unexpected reply from cache-read");
  }
  const [payload, generation, age, freshLeft, staleLeft, errorLeft, fetchDuration] =
    reply as unknown[];
  if (typeof payload !== "string") throw new Error("unexpected reply from cache-read");
  const errorMs = Number(errorLeft);
  return {
    payload,
    generation: Number(generation),
    writtenAt: now - Number(age),
    freshUntil: now + Number(freshLeft),
    staleUntil: now + Number(staleLeft),
    errorUntil: errorMs < 0 ? 0 : now + errorMs,
    fetchDuration: Number(fetchDuration),
  };
}

/** "w:<generation>" / "e:<message>" as the scripts publish them; messages are kept short. */
export function failureNotice(message: string): string {
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
