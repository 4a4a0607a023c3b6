import { LockConfigError } from "../errors/index.js";

/** How a decorator names its lock or cache key: a template of the arguments, or a function of them. */
export type KeySpec<Args extends unknown[] = unknown[]> = string | ((...args: Args) => string);

interface Placeholder {
  readonly text: string;
  readonly index: number;
  readonly path: readonly string[];
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const POSITIONAL = /^(\d+)((?:\.[A-Za-z_$][\w$]*)*)$/;

function configError(message: string): LockConfigError {
  return new LockConfigError([{ field: "key", message }]);
}

/**
 * Compiles a key spec for a method declaring `arity` parameters. A template's placeholders are
 * positional paths — `{0}` is the first argument, `{1.id}` the `id` of the second — checked here,
 * when the class is defined: a placeholder naming an argument the method does not declare (or
 * only through a default or rest parameter, which Function.length does not count) fails now
 * rather than at the first call.
 */
export function compileKey(spec: KeySpec<never[]>, arity: number, method: string) {
  if (typeof spec === "function") {
    return (args: readonly unknown[]): string => {
      const key = (spec as (...a: readonly unknown[]) => unknown)(...args);
      if (typeof key !== "string" || key === "") {
        throw configError(`the key function of ${method} must return a non-empty string`);
      }
      return key;
    };
  }
  if (typeof spec !== "string" || spec === "") {
    throw configError("must be a non-empty template string or a function of the arguments");
  }
  const parts: (string | Placeholder)[] = [];
  let last = 0;
  for (const match of spec.matchAll(PLACEHOLDER)) {
    const [text, inner = ""] = match;
    const found = POSITIONAL.exec(inner);
    if (found === null) {
      throw configError(`${text} is not a positional path such as {0} or {1.id}`);
    }
    const index = Number(found[1]);
    if (index >= arity) {
      throw configError(
        `${text} names argument ${index}, but ${method} declares ${arity} parameter${arity === 1 ? "" : "s"}`,
      );
    }
    parts.push(spec.slice(last, match.index), {
      text,
      index,
      path: (found[2] ?? "").split(".").filter((p) => p !== ""),
    });
    last = match.index + text.length;
  }
  parts.push(spec.slice(last));
  if (parts.some((p) => typeof p === "string" && /[{}]/.test(p))) {
    throw configError("has an unbalanced { or }");
  }
  return (args: readonly unknown[]): string =>
    parts.map((part) => (typeof part === "string" ? part : resolve(part, args, method))).join("");
}

function resolve(placeholder: Placeholder, args: readonly unknown[], method: string): string {
  let value: unknown = args[placeholder.index];
  for (const property of placeholder.path) {
    value =
      value === null || value === undefined
        ? undefined
        : (value as Record<string, unknown>)[property];
  }
  if (value === null || value === undefined) {
    throw configError(`${placeholder.text} is ${String(value)} in this call of ${method}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a key part is whatever the argument prints as
  return String(value);
}
