import source from "./fence-raise.lua";
import { decodeCount, type Granted, type NotOwner, type Unexpected } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One fence-raise.lua call: lift the lock's fence counters to its token. */
export interface FenceRaiseCall {
  readonly resources: readonly string[];
  /** Each resource's fence counter, in the same order. */
  readonly fences: readonly string[];
  readonly token: string;
  /** The lock's fencing token. */
  readonly fence: bigint;
}

/** Granted: every key still holds the token (FenceRaiseHeld); NotOwner: some does not. */
export type FenceRaiseReply = Granted | NotOwner | Unexpected;

const script = defineScript("fence-raise", source);

/** KEYS: resources, their fence counters. ARGV: token, fencing token (decimal). */
function encode(call: FenceRaiseCall): string[] {
  return evalshaArgs(script, [...call.resources, ...call.fences], [call.token, String(call.fence)]);
}

export const fenceRaise = { ...script, encode, decode: decodeCount };
