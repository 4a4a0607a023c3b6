import source from "./extend.lua";
import { decodeMarked, type MarkerCall } from "./marker.js";
import {
  type Granted,
  type Marked,
  NOT_OWNER,
  type NotOwner,
  Outcome,
  ReplyCode,
  type Unexpected,
  unexpected,
} from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One extend.lua call: a new ttl for every key of one lock, healing missing keys. */
export interface ExtendCall extends MarkerCall {
  readonly resources: readonly string[];
  readonly token: string;
  /** The new time to live, in ms from now. */
  readonly ttl: number;
}

/** Granted: extended (`healed`: some missing keys were set again); NotOwner: another owner's. */
export type ExtendReply = Marked<ExtendBody>;
export type ExtendBody = (Granted & { readonly healed: boolean }) | NotOwner | Unexpected;

const script = defineScript("extend", source);
const EXTENDED = { outcome: Outcome.Granted, healed: false } as const;
const HEALED = { outcome: Outcome.Granted, healed: true } as const;

/** KEYS: resources, marker. ARGV: token, ttl, known ttl, quarantine. */
function encode(call: ExtendCall): string[] {
  return evalshaArgs(
    script,
    [...call.resources, call.marker],
    [call.token, String(call.ttl), ...call.quarantine],
  );
}

/** 1 extended, 2 extended and healed, 0 not ours (any other count reads as done, as before). */
export function decodeExtendBody(reply: unknown): ExtendBody {
  if (typeof reply !== "number") return unexpected(reply);
  if (reply === ReplyCode.ExtendHealed) return HEALED;
  return reply > ReplyCode.ExtendNotOwner ? EXTENDED : NOT_OWNER;
}

/** The marker's age does not matter to an extension: only the ttl it records. */
function decode(reply: unknown): ExtendReply {
  return decodeMarked(reply, decodeExtendBody);
}

export const extend = { ...script, encode, decode };
