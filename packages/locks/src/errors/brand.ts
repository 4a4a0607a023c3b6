/**
 * Error brands: `instanceof` that holds across copies of this package. An application can load
 * the package twice (its ES module build and its CommonJS build, or two versions in one
 * node_modules tree), and each copy has classes of its own, so the prototype chain alone would
 * say that copy A's LockTimeoutError is no LockTimeoutError of copy B. Every class marks its
 * prototype with a symbol from the global registry (`Symbol.for`), the same in every copy, and
 * `instanceof` asks for that mark.
 */

/** The stable code of each error class, the same in every copy and version of the package. */
export type LockErrorCode =
  | "QUORUM_LOCKS_ERROR"
  | "QUORUM_LOCKS_CONFIG"
  | "QUORUM_LOCKS_ACQUISITION"
  | "QUORUM_LOCKS_TIMEOUT"
  | "QUORUM_LOCKS_ABORTED"
  | "QUORUM_LOCKS_RELEASE"
  | "QUORUM_LOCKS_EXTENSION"
  | "QUORUM_LOCKS_OWNERSHIP"
  | "QUORUM_LOCKS_EXPIRED"
  | "QUORUM_LOCKS_HOLD_LIMIT"
  | "QUORUM_LOCKS_DEADLOCK"
  | "QUORUM_LOCKS_CACHE_VALUE"
  | "QUORUM_LOCKS_CACHE_FETCH"
  | "QUORUM_LOCKS_CACHE_TIMEOUT"
  | "QUORUM_LOCKS_SEMAPHORE_LIMIT";

interface Brand {
  readonly symbol: symbol;
  readonly code: LockErrorCode;
}

// Each copy keeps the brands of its own classes; the symbols themselves are shared.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
const brands = new WeakMap<Function, Brand>();

/**
 * Marks `ctor` as the error class `name` with `code`. Called once in each class's static block;
 * `name` is passed rather than read from the class, whose name a bundler may change.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
export function brand(ctor: Function, name: string, code: LockErrorCode): void {
  const symbol = Symbol.for(`quorum-locks.error.${name}`);
  brands.set(ctor, { symbol, code });
  // On the prototype: inherited by the instances of the class and of its subclasses alike.
  Object.defineProperty(ctor.prototype, symbol, { value: true });
}

/** The brand of `ctor`, or of its nearest branded ancestor (a user's subclass has none). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
function brandOf(ctor: Function): Brand | undefined {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
  for (let c: Function | null = ctor; c !== null; c = Object.getPrototypeOf(c) as Function | null) {
    const found = brands.get(c);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The code of errors made with `new ctor(...)`. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
export function codeOf(ctor: Function): LockErrorCode {
  return brandOf(ctor)?.code ?? "QUORUM_LOCKS_ERROR";
}

/**
 * `value instanceof ctor`, across copies: true when value carries ctor's brand. A class that has
 * no brand of its own (a user's subclass) keeps the ordinary prototype-chain answer.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any class
export function isBranded(ctor: Function, value: unknown): boolean {
  const own = brands.get(ctor);
  if (own === undefined) return Function.prototype[Symbol.hasInstance].call(ctor, value);
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    (value as Record<symbol, unknown>)[own.symbol] === true
  );
}
