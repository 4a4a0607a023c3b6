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
  const key = memoKey(value);
  const memo = key === undefined ? undefined : memoOf(schema);
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
// Only valid options are kept: a bad one is reported afresh each time.
const MEMO_SIZE = 64;
const memos = new WeakMap<z.ZodType, Map<string, unknown>>();

function memoOf(schema: z.ZodType): Map<string, unknown> {
  let memo = memos.get(schema);
  if (memo === undefined) memos.set(schema, (memo = new Map<string, unknown>()));
  return memo;
}

/** Strings up to this long are remembered (longer ones are rare and would bloat the memo). */
const MEMO_STRING_LENGTH = 256;

/**
 * A key naming a short string, or a plain object's contents; undefined for anything else
 * (and for an object whose fields are not all primitives).
 */
function memoKey(value: unknown): string | undefined {
  if (typeof value === "string") {
    return value.length <= MEMO_STRING_LENGTH ? `string\u0000${value}` : undefined;
  }
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
