import source from "./acquire-fenced.lua";
import { decodeMarked, type MarkerCall } from "./marker.js";
import {
  type FencedGrant,
  type Held,
  held,
  type Marked,
  Outcome,
  ReplyCode,
  type Unexpected,
  unexpected,
} from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One acquire-fenced.lua call: acquire, plus a fencing token. */
export interface AcquireFencedCall extends MarkerCall {
  readonly resources: readonly string[];
  /** Each resource's fence counter, in the same order. */
  readonly fences: readonly string[];
  readonly token: string;
  readonly ttl: number;
}

export type AcquireFencedReply = Marked<FencedGrant | Held | Unexpected>;

const script = defineScript("acquire-fenced", source);
const DECIMAL = /^[0-9]+$/;

/** KEYS: resources, their fence counters, marker. ARGV: token, ttl, known ttl, quarantine. */
function encode(call: AcquireFencedCall): string[] {
  return evalshaArgs(
    script,
    [...call.resources, ...call.fences, call.marker],
    [call.token, String(call.ttl), ...call.quarantine],
  );
}

/** The body's reply: a grant is the node's fencing token (decimal); else as acquire's. */
export function decodeFencedBody(reply: unknown): FencedGrant | Held | Unexpected {
  if (typeof reply === "string" && DECIMAL.test(reply)) {
    return { outcome: Outcome.Granted, fence: reply };
  }
  // A plain grant has no token: not a reply of this script.
  if (reply === ReplyCode.AcquireGranted) return unexpected(reply);
  return typeof reply === "number" ? held(reply) : unexpected(reply);
}

function decode(reply: unknown): AcquireFencedReply {
  return decodeMarked(reply, decodeFencedBody);
}

export const acquireFenced = { ...script, encode, decode };
