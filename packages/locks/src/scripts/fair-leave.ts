import source from "./fair-leave.lua";
import { decodeCount, type Granted, type NotOwner, type Unexpected } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One fair-leave.lua call: a waiter leaves a fair lock's queue. */
export interface FairLeaveCall {
  readonly resource: string;
  readonly queue: string;
  readonly leases: string;
  readonly token: string;
  /** Channel prefix for the "head may have changed" message; "" publishes nothing. */
  readonly channelPrefix: string;
}

/** Granted: the token was waiting and left (FairLeaveLeft); NotOwner: it was not there. */
export type FairLeaveReply = Granted | NotOwner | Unexpected;

const script = defineScript("fair-leave", source);

/** KEYS: resource, queue, leases. ARGV: token, channel prefix. */
function encode(call: FairLeaveCall): string[] {
  return evalshaArgs(
    script,
    [call.resource, call.queue, call.leases],
    [call.token, call.channelPrefix],
  );
}

export const fairLeave = { ...script, encode, decode: decodeCount };
