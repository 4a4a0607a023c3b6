import source from "./rw-acquire-read.lua";
import { decodeAcquireBody } from "./acquire.js";
import { decodeMarked, type MarkerCall } from "./marker.js";
import type { Granted, Held, Marked, Unexpected } from "./reply.js";
import type { RwKeys } from "./rw-keys.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One rw-acquire-read.lua call: add a reader to a read-write lock on a node. */
export interface RwAcquireReadCall extends MarkerCall {
  readonly keys: RwKeys;
  /** The reader's token. */
  readonly token: string;
  /** Time to live of this reader's lease, in ms. */
  readonly ttl: number;
}

export type RwAcquireReadReply = Marked<Granted | Held | Unexpected>;

const script = defineScript("rw-acquire-read", source);

/** KEYS: writer, readers, intent, marker. ARGV: token, ttl, known ttl, quarantine. */
function encode(call: RwAcquireReadCall): string[] {
  const { writer, readers, intent } = call.keys;
  return evalshaArgs(
    script,
    [writer, readers, intent, call.marker],
    [call.token, String(call.ttl), ...call.quarantine],
  );
}

/** As acquire's: 0 granted; n > 0 refused, try again in n - 1 ms; -1 held with no expiry. */
function decode(reply: unknown): RwAcquireReadReply {
  return decodeMarked(reply, decodeAcquireBody);
}

export const rwAcquireRead = { ...script, encode, decode };
