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
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new LockConfigError(toIssues(result.error, prefix));
}
