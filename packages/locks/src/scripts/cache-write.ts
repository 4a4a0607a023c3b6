import source from "./cache-write.lua";
import { ReplyCode } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One cache-write.lua call: compare-and-set a value with its fresh and stale windows. */
export interface CacheWriteCall {
  readonly key: string;
  /** The serialized value. */
  readonly payload: string;
  /** The generation the writer read (0: no entry); undefined writes unconditionally. */
  readonly expectedGeneration: number | undefined;
  /** Fresh for, and servable stale for, in ms (rounded up). */
  readonly ttl: number;
  readonly staleTtl: number;
  /** How long the fetch took, in ms. */
  readonly fetchDuration: number;
  /** The channel for the notice; "" for none. */
  readonly channel: string;
  /** Publish the value with the notice (waiters need not read it). */
  readonly inline: boolean;
}

/** `written`, with the new generation; else the entry's current one (it changed meanwhile). */
export interface CacheWriteReply {
  readonly written: boolean;
  readonly generation: number;
}

const script = defineScript("cache-write", source);

/**
 * KEYS: the cache key. ARGV: payload, expected generation (-1: unconditional), fresh ms, stale
 * ms, fetch ms, channel, "1" to publish the value.
 */
function encode(call: CacheWriteCall): string[] {
  return evalshaArgs(
    script,
    [call.key],
    [
      call.payload,
      String(call.expectedGeneration ?? -1),
      String(Math.ceil(call.ttl)),
      String(Math.ceil(call.staleTtl)),
      String(Math.round(call.fetchDuration)),
      call.channel,
      call.inline ? "1" : "",
    ],
  );
}

/** {1, generation} written; {0, current generation} changed since read. */
function decode(reply: unknown): CacheWriteReply {
  if (!Array.isArray(reply)) throw new Error("unexpected reply from cache-write");
  const [code, generation] = reply as unknown[];
  return { written: code === ReplyCode.CacheWriteWritten, generation: Number(generation) };
}

export const cacheWrite = { ...script, encode, decode };
