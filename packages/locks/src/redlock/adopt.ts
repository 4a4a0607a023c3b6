import { z } from "zod";
import { LockConfigError } from "../errors/index.js";
import { resourceName } from "../options/fields.js";
import { parseOrThrow } from "../options/parse.js";
import { createLock, type Lock, type LockContext, type LockWire } from "./lock.js";
import { assertOneSlot } from "./slots.js";

/** What an adopter needs of the Redlock beyond its context: its defaults. */
export interface AdoptContext extends LockContext {
  /** The adopting Redlock's `minReplicas` (the wire does not carry the acquisition's). */
  readonly minReplicas: number;
}

/**
 * Makes the live handle of one kind from a wire its schema accepted: a lock, a permit, a read or
 * write hold. Throws LockConfigError for a wire it cannot take back (nothing sent).
 */
export type Adopter = (ctx: AdoptContext, wire: LockWire) => Lock;

interface AdopterEntry {
  readonly schema: z.ZodType<LockWire>;
  readonly adopt: Adopter;
}

/** The version of the wire format this package writes and reads. */
export const WIRE_VERSION = 1;

// 128 bits from newToken(), hex: anything else was not made by this package.
const TOKEN = /^[0-9a-f]{32}$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** The fields every kind's wire has; a kind with more extends it. */
export const lockWireShape = {
  v: z.literal(WIRE_VERSION, { error: `must be ${WIRE_VERSION} (the wire format's version)` }),
  kind: z.string({ error: "must be a string" }),
  resources: z
    .array(resourceName(), { error: "must be a list of resource names" })
    .min(1, { error: "must list at least one resource" })
    .refine((list) => new Set(list).size === list.length, {
      error: "must not name the same resource twice",
    }),
  token: z
    .string({ error: "must be a string" })
    .regex(TOKEN, { error: "must be a lock token (32 lowercase hexadecimal digits)" }),
  // z.number() refuses NaN and ±Infinity.
  expiration: z
    .number({ error: "must be epoch milliseconds (a finite number)" })
    .nonnegative({ error: "must be epoch milliseconds (a finite number)" }),
  fencingToken: z
    .string({ error: "must be a decimal string" })
    .regex(DECIMAL, { error: "must be a decimal string (a non-negative whole number)" })
    .optional(),
};

/** A lock's wire: exactly the fields Lock.toJSON() writes (an unknown one is refused). */
export const lockWireSchema: z.ZodType<LockWire> = z.strictObject(lockWireShape);

const envelopeSchema = z.object({
  v: lockWireShape.v,
  kind: lockWireShape.kind,
});

const adopters = new Map<string, AdopterEntry>();

/**
 * Lets {@link adoptHandle} take back wires of `kind` (what the handle's toJSON() writes):
 * `schema` validates the whole wire (default: a lock's), `adopt` makes the handle. A kind
 * registered again replaces the earlier adopter.
 */
export function registerAdopter(
  kind: string,
  adopt: Adopter,
  schema: z.ZodType<LockWire> = lockWireSchema,
): void {
  adopters.set(kind, { schema, adopt });
}

/**
 * The handle a wire describes, for the Redlock whose context is `ctx`: validated first, each
 * problem a LockConfigError (nothing is sent to any node).
 */
export function adoptHandle(ctx: AdoptContext, wire: unknown): Lock {
  if (typeof wire !== "object" || wire === null || Array.isArray(wire)) {
    throw new LockConfigError([
      { field: "wire", message: "must be an object (JSON.parse of what toJSON() wrote)" },
    ]);
  }
  // Only the envelope's two fields are parsed here: the schema memo keys on an object's contents,
  // and must never keep a token.
  const { v, kind } = wire as Record<string, unknown>;
  parseOrThrow(envelopeSchema, { v, kind }, "wire");
  const entry = adopters.get(kind as string);
  if (entry === undefined) {
    // Permits and read-write leases are taken back by their own modules (Redlock.adopt).
    const known = [...adopters.keys(), "permit", "read", "write"].map((k) => `"${k}"`).join(", ");
    throw new LockConfigError([
      { field: "wire.kind", message: `must be a kind this package can adopt: ${known}` },
    ]);
  }
  const parsed = parseOrThrow(entry.schema, wire, "wire");
  if (ctx.clustered) assertOneSlot(parsed.resources);
  return entry.adopt(ctx, parsed);
}

/**
 * A lock from its wire. Its validity is the wire's `expiration` carried over to this process's
 * monotonic clock (so that a later change of the wall clock does not stretch it); which nodes
 * hold its keys is unknown, so a release asks every node, as after an extension.
 */
function adoptLock(ctx: AdoptContext, wire: LockWire): Lock {
  const validUntil = ctx.clock.monotonic() + (wire.expiration - ctx.clock.wall());
  return createLock(
    ctx,
    Object.freeze([...wire.resources]),
    wire.token,
    0,
    undefined,
    validUntil,
    ctx.minReplicas,
    wire.fencingToken === undefined ? undefined : BigInt(wire.fencingToken),
  );
}

registerAdopter("lock", adoptLock);
