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
  if (memo !== undefined && key !== undefined && result.data !== value) {
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(key, Object.freeze(result.data));
  }
  return result.data;
}

// Callers pass a fresh options literal on every call (`{ ttl: 60_000 }`), and a burst of a
// thousand such calls spent more time in the schema than in Redis. Parsing is a pure function
// of an object of primitives, so its (frozen) output is kept, keyed by the object's contents.
// Only valid options are kept: a bad one is reported afresh each time.
const MEMO_SIZE = 64;
const memos = new WeakMap<z.ZodType, Map<string, unknown>>();

function memoOf(schema: z.ZodType): Map<string, unknown> {
  let memo = memos.get(schema);
  if (memo === undefined) memos.set(schema, (memo = new Map<string, unknown>()));
  return memo;
}

/** A key naming a plain object's contents, or undefined when they are not all primitives. */
function memoKey(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  let key = "";
  for (const [name, v] of Object.entries(value)) {
    const type = typeof v;
    if (type === "object" || type === "function" || type === "symbol") return undefined;
    key += `${name}\u0000${type}\u0000${String(v)}\u0000`;
  }
  return key;
}
