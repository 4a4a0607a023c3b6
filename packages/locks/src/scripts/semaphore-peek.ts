import source from "./semaphore-peek.lua";
import { Outcome, type Unexpected, unexpected } from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One semaphore-peek.lua call: read who holds each slot on a node. */
export interface SemaphorePeekCall {
  readonly slots: readonly string[];
}

/** The slots' owners, as the round keeps a grant's detail: tokens joined by commas. */
export interface SlotOwners {
  readonly outcome: typeof Outcome.Granted;
  readonly fence: string;
}

const script = defineScript("semaphore-peek", source);

/** KEYS: slots. No ARGV. */
function encode(call: SemaphorePeekCall): string[] {
  return evalshaArgs(script, call.slots, []);
}

function decode(reply: unknown): SlotOwners | Unexpected {
  return typeof reply === "string" ? { outcome: Outcome.Granted, fence: reply } : unexpected(reply);
}

/** The owners' tokens, slot 1 first; "" for a free slot. */
export function parseOwners(detail: string): string[] {
  return detail.split(",");
}

export const semaphorePeek = { ...script, encode, decode };
