import source from "./acquire.lua";
import { decodeMarked, type MarkerCall } from "./marker.js";
import {
  GRANTED,
  type Granted,
  type Held,
  held,
  type Marked,
  ReplyCode,
  type Unexpected,
  unexpected,
} from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One acquire.lua call: take every key of one lock on a node, all or none. */
export interface AcquireCall extends MarkerCall {
  readonly resources: readonly string[];
  /** The owner's token. */
  readonly token: string;
  /** Time to live, in ms. */
  readonly ttl: number;
}

export type AcquireReply = Marked<Granted | Held | Unexpected>;

const script = defineScript("acquire", source);

/** KEYS: resources, marker. ARGV: token, ttl, known ttl, quarantine. */
function encode(call: AcquireCall): string[] {
  return evalshaArgs(
    script,
    [...call.resources, call.marker],
    [call.token, String(call.ttl), ...call.quarantine],
  );
}

/** The body's reply: 0 granted; n > 0 held for n - 1 more ms; -1 held with no expiry. */
export function decodeAcquireBody(reply: unknown): Granted | Held | Unexpected {
  if (reply === ReplyCode.AcquireGranted) return GRANTED;
  return typeof reply === "number" ? held(reply) : unexpected(reply);
}

function decode(reply: unknown): AcquireReply {
  return decodeMarked(reply, decodeAcquireBody);
}

export const acquire = { ...script, encode, decode };
