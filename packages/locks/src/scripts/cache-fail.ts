import source from "./cache-fail.lua";
import { ReplyCode } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One cache-fail.lua call: a refresh failed; serve stale for a back-off window. */
export interface CacheFailCall {
  readonly key: string;
  /** The generation the failed refresh read (0: there was no entry). */
  readonly expectedGeneration: number;
  /** Back-off in ms (rounded up). */
  readonly backoff: number;
  /** The channel for the "e:" notice; "" for none. */
  readonly channel: string;
  /** A short description of the failure, for waiters in other processes. */
  readonly message: string;
}

const script = defineScript("cache-fail", source);

/** KEYS: the cache key. ARGV: expected generation, back-off ms, channel, message. */
function encode(call: CacheFailCall): string[] {
  return evalshaArgs(
    script,
    [call.key],
    [String(call.expectedGeneration), String(Math.ceil(call.backoff)), call.channel, call.message],
  );
}

/** True when the back-off was recorded (CacheFailMarked); false when the entry is gone or changed. */
function decode(reply: unknown): boolean {
  return reply === ReplyCode.CacheFailMarked;
}

export const cacheFail = { ...script, encode, decode };
