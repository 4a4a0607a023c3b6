import source from "./rw-acquire-write.lua";
import { decodeAcquireBody } from "./acquire.js";
import { decodeFencedBody } from "./acquire-fenced.js";
import { decodeMarked, type MarkerCall } from "./marker.js";
import type { FencedGrant, Granted, Held, Marked, Unexpected } from "./reply.js";
import type { RwKeys } from "./rw-keys.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One rw-acquire-write.lua call: take the write lock on a node, or record the intent. */
export interface RwAcquireWriteCall extends MarkerCall {
  readonly keys: RwKeys;
  /** The fence counter, for a fenced writer (the grant is then a fencing token). */
  readonly fence: string | undefined;
  /** The writer's token. */
  readonly token: string;
  /** Time to live of the write lease, in ms. */
  readonly ttl: number;
  /** Time to live of the write intent, in ms. */
  readonly intentTtl: number;
}

export type RwAcquireWriteReply = Marked<Granted | Held | Unexpected>;
export type RwAcquireWriteFencedReply = Marked<FencedGrant | Held | Unexpected>;

const script = defineScript("rw-acquire-write", source);

/**
 * KEYS: writer, readers, intent, (fence counter), marker. ARGV: token, ttl, intent ttl, known
 * ttl, quarantine.
 */
function encode(call: RwAcquireWriteCall): string[] {
  const { writer, readers, intent } = call.keys;
  const keys = [writer, readers, intent];
  if (call.fence !== undefined) keys.push(call.fence);
  keys.push(call.marker);
  return evalshaArgs(script, keys, [
    call.token,
    String(call.ttl),
    String(call.intentTtl),
    ...call.quarantine,
  ]);
}

/** As acquire's: 0 granted; n > 0 refused, try again in n - 1 ms; -1 held with no expiry. */
function decode(reply: unknown): RwAcquireWriteReply {
  return decodeMarked(reply, decodeAcquireBody);
}

/** A fenced writer's grant is the node's fencing token (decimal), as acquire-fenced's. */
function decodeFenced(reply: unknown): RwAcquireWriteFencedReply {
  return decodeMarked(reply, decodeFencedBody);
}

export const rwAcquireWrite = { ...script, encode, decode, decodeFenced };
