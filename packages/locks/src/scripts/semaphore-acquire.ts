import source from "./semaphore-acquire.lua";
import { decodeMarked, type MarkerCall } from "./marker.js";
import {
  type Held,
  held,
  type Marked,
  Outcome,
  ReplyCode,
  type Unexpected,
  unexpected,
} from "./reply.js";
import { defineScript, evalshaArgs } from "./script.js";

/** One semaphore-acquire.lua call: take `permits` free slots on a node, all or none. */
export interface SemaphoreAcquireCall extends MarkerCall {
  /** Every slot key of the semaphore, slot 1 first (as many as its limit). */
  readonly slots: readonly string[];
  /** The key recording the limit of the permits held on the node. */
  readonly record: string;
  /** The semaphore's fence counter. */
  readonly fence: string;
  readonly token: string;
  readonly ttl: number;
  /** Slots to take. */
  readonly permits: number;
  /** The slots (1-based) in the order to take them. */
  readonly order: readonly number[];
  readonly fencing: boolean;
  /** A fair semaphore's queue and leases, with this request's arrival score and lease margin. */
  readonly fair?:
    | {
        readonly queue: string;
        readonly leases: string;
        readonly arrival: number;
        readonly leaseMargin: number;
        /** The full channel name (prefix included) a grant announces itself on. */
        readonly channel: string;
      }
    | undefined;
}

/**
 * A grant. Its `fence` is what the round keeps per node for a grant: here the slots taken,
 * "i,j,..." (1-based), followed by "|token" for a fenced grant; {@link parseSlotGrant} reads it.
 */
export interface SlotGrant {
  readonly outcome: typeof Outcome.Granted;
  readonly fence: string;
}

/** The node records another limit for this semaphore's held permits: `message` says which. */
export type SemaphoreAcquireReply = Marked<SlotGrant | Held | Unexpected>;

const script = defineScript("semaphore-acquire", source);
const GRANT = /^[0-9]+(,[0-9]+)*(\|[0-9]+)?$/;
const LIMIT = /^limit:([0-9]+)$/;

/** The message of a node's "limit:m" reply (an Unexpected outcome, so a failed vote). */
export const LIMIT_MISMATCH = "semaphore limit mismatch: the node holds permits of limit ";

/**
 * KEYS: slots, limit record, fence counter, [queue, leases], marker. ARGV: token, ttl, permits,
 * limit, "", fencing, arrival ("" unless fair), lease margin, channel, the order (one
 * entry per slot), known ttl,
 * quarantine.
 */
function encode(call: SemaphoreAcquireCall): string[] {
  const fair = call.fair;
  const keys = [call.slots, call.record, call.fence] as (string | readonly string[])[];
  if (fair !== undefined) keys.push(fair.queue, fair.leases);
  return evalshaArgs(
    script,
    [...keys.flat(), call.marker],
    [
      call.token,
      String(call.ttl),
      String(call.permits),
      String(call.slots.length),
      "",
      call.fencing ? "1" : "0",
      fair === undefined ? "" : String(fair.arrival),
      fair === undefined ? "0" : String(fair.leaseMargin),
      fair === undefined ? "" : fair.channel,
      ...call.order.map(String),
      ...call.quarantine,
    ],
  );
}

/** The body's reply: the slots taken (and fence); "limit:m"; else as acquire's. */
export function decodeSemaphoreBody(reply: unknown): SlotGrant | Held | Unexpected {
  if (typeof reply === "string") {
    if (GRANT.test(reply)) return { outcome: Outcome.Granted, fence: reply };
    const limit = LIMIT.exec(reply);
    if (limit !== null)
      return { outcome: Outcome.Unexpected, message: `${LIMIT_MISMATCH}${limit[1] ?? ""}` };
    return unexpected(reply);
  }
  if (reply === ReplyCode.AcquireGranted) return unexpected(reply);
  return typeof reply === "number" ? held(reply) : unexpected(reply);
}

function decode(reply: unknown): SemaphoreAcquireReply {
  return decodeMarked(reply, decodeSemaphoreBody);
}

/** A grant's detail as the round kept it: the slots (1-based) and the fencing token, if any. */
export function parseSlotGrant(detail: string): { slots: number[]; fence: bigint | undefined } {
  const bar = detail.indexOf("|");
  const list = bar === -1 ? detail : detail.slice(0, bar);
  return {
    slots: list.split(",").map(Number),
    fence: bar === -1 ? undefined : BigInt(detail.slice(bar + 1)),
  };
}

export const semaphoreAcquire = { ...script, encode, decode };
