import type { z } from "zod";
import { type ConfigIssue, LockConfigError } from "../errors/index.js";

function toIssues(error: z.ZodError, prefix: string): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(String)].filter((p) => p !== "").join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: base === "" ? key : `${base}.${key}`,
        message: "is not a known option (check its spelling)",
      }));
    }
    return [{ field: base === "" ? "(value)" : base, message: issue.message }];
  });
}

/**
 * Parses `value` with `schema`, or throws a {@link LockConfigError} naming every bad field.
 * `prefix` names the argument, e.g. "options" or "ttl". Values are never echoed in messages:
 * a node URL may carry a password.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = "",
): z.output<S> {
  let memo: Map<string, unknown> | undefined;
  let key: string | undefined;
  if (typeof value === "string") {
    // The string itself is the key: no allocation, and its hash is kept once computed.
    if (value.length <= MEMO_STRING_LENGTH) [memo, key] = [memosOf(schema).strings, value];
  } else {
    key = objectKey(value);
    if (key !== undefined) memo = memosOf(schema).objects;
  }
  if (memo !== undefined && key !== undefined) {
    const known = memo.get(key);
    if (known !== undefined) return known as z.output<S>;
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new LockConfigError(toIssues(result.error, prefix));
  // A schema that hands back its input would otherwise freeze the caller's own object.
  const primitive = typeof value !== "object";
  if (memo !== undefined && key !== undefined && (primitive || result.data !== value)) {
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(key, primitive ? result.data : Object.freeze(result.data));
  }
  return result.data;
}

// Callers pass a fresh options literal on every call (`{ ttl: 60_000 }`), and a burst of a
// thousand such calls spent more time in the schema than in Redis. Parsing is a pure function
// of an object of primitives, so its (frozen) output is kept, keyed by the object's contents;
// likewise for a short string (a lock or cache key asked for again and again).
// Only valid options are kept: a bad one is reported afresh each time. It pays in bursts: a
// thousand concurrent cache hits on one key (one shared read) take about twice as long without
// it, while a lone acquire, which waits on a round trip, does not notice it.
const MEMO_SIZE = 64;
/** Strings up to this long are remembered (longer ones are rare and would bloat the memo). */
const MEMO_STRING_LENGTH = 256;

interface Memos {
  /** Outputs by objectKey() of the input. */
  readonly objects: Map<string, unknown>;
  /** Outputs by the input string. */
  readonly strings: Map<string, unknown>;
}
const memos = new WeakMap<z.ZodType, Memos>();

function memosOf(schema: z.ZodType): Memos {
  let memo = memos.get(schema);
  if (memo === undefined) memos.set(schema, (memo = { objects: new Map(), strings: new Map() }));
  return memo;
}

/** A key naming a plain object's contents; undefined for anything else, or for an object whose fields are not all primitives. */
function objectKey(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  let key = "";
  // for-in over an object whose prototype is Object.prototype: its own enumerable fields only.
  for (const name in value) {
    const v = (value as Record<string, unknown>)[name];
    const type = typeof v;
    if (type === "object" || type === "function" || type === "symbol") return undefined;
    key += `${name}\u0000${type}\u0000${String(v)}\u0000`;
  }
  return key;
}

/**
 * Whether `parsed` came out of the memo (or will be handed out again for equal input): such
 * outputs are frozen, and a caller may keep what it derives from them by their identity.
 */
export function isMemoized(parsed: object): boolean {
  return Object.isFrozen(parsed);
}
