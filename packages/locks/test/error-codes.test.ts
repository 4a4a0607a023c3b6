import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as lib from "../src/index.js";
import {
  CacheFetchError,
  CacheTimeoutError,
  DeadlockError,
  isQuorumLocksError,
  LockAcquisitionError,
  LockConfigError,
  LockError,
  LockTimeoutError,
} from "../src/index.js";

/** Every error class the package exports, found by what it is rather than listed by hand. */
const classes = Object.entries(lib).filter(
  ([, value]) => typeof value === "function" && value.prototype instanceof Error,
);

/** One error of each exported class, made as the library makes it. */
const made: Record<string, LockError> = {
  LockError: new LockError("x"),
  LockConfigError: new LockConfigError([{ field: "x", message: "bad" }]),
  LockAcquisitionError: new LockAcquisitionError(["r"], 1, [], { reason: "held" }),
  LockTimeoutError: new LockTimeoutError(["r"], 100, 1, [], { reason: "held" }),
  LockAbortedError: new lib.LockAbortedError(["r"], "stop"),
  LockReleaseError: new lib.LockReleaseError(["r"], []),
  LockExtensionError: new lib.LockExtensionError(["r"], []),
  LockOwnershipError: new lib.LockOwnershipError(["r"], []),
  LockExpiredError: new lib.LockExpiredError(["r"], 0),
  LockHoldLimitError: new lib.LockHoldLimitError(["r"], "maxExtensions", 3, 3, 0),
  DeadlockError: new DeadlockError("r"),
  SemaphoreLimitError: new lib.SemaphoreLimitError("s", 5, 3),
  CacheValueError: new lib.CacheValueError("k", "undefined"),
  CacheFetchError: new CacheFetchError("k", "boom"),
  CacheTimeoutError: new CacheTimeoutError("k", 100),
};

describe("error codes and brands", () => {
  it("every exported error class has its own QUORUM_LOCKS_ code, listed in the README", () => {
    expect(classes.map(([name]) => name).sort()).toEqual(Object.keys(made).sort());
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const codes = new Set<string>();
    for (const [name, error] of Object.entries(made)) {
      expect(error.name).toBe(name);
      expect(error.code, name).toMatch(/^QUORUM_LOCKS_[A-Z_]+$/);
      codes.add(error.code);
      // The Errors table names the class and its code on one row.
      expect(readme, name).toMatch(new RegExp(`\\| \`${name}\`[^\\n]*\`${error.code}\``));
    }
    expect(codes.size).toBe(classes.length);
  });

  it("instanceof follows the hierarchy: a subclass's error is its parent's, not the reverse", () => {
    const timeout = new LockTimeoutError(["r"], 100, 1, [], { reason: "held" });
    expect(timeout).toBeInstanceOf(LockTimeoutError);
    expect(timeout).toBeInstanceOf(LockAcquisitionError);
    expect(timeout).toBeInstanceOf(LockError);
    expect(timeout).toBeInstanceOf(Error);
    expect(timeout).not.toBeInstanceOf(LockConfigError);
    const acquisition = new LockAcquisitionError(["r"], 1, [], { reason: "held" });
    expect(acquisition).not.toBeInstanceOf(LockTimeoutError);
    expect(new Error("plain")).not.toBeInstanceOf(LockError);
    expect({ code: "QUORUM_LOCKS_TIMEOUT" }).not.toBeInstanceOf(LockError);
    for (const value of [null, undefined, 1, "LockError"] as unknown[]) {
      expect(LockError[Symbol.hasInstance](value)).toBe(false);
    }
  });

  it("a user's subclass keeps its parent's code and the ordinary instanceof of its own", () => {
    class AppLockError extends LockConfigError {}
    const error = new AppLockError([{ field: "x", message: "bad" }]);
    expect(error.code).toBe("QUORUM_LOCKS_CONFIG");
    expect(error.name).toBe("AppLockError");
    expect(error).toBeInstanceOf(AppLockError);
    expect(error).toBeInstanceOf(LockConfigError);
    expect(error).toBeInstanceOf(LockError);
    expect(new LockConfigError([])).not.toBeInstanceOf(AppLockError);
  });

  it("isQuorumLocksError tells the package's errors, and with a code, one kind", () => {
    const fetch = new CacheFetchError("k", "boom");
    expect(isQuorumLocksError(fetch)).toBe(true);
    expect(isQuorumLocksError(fetch, "QUORUM_LOCKS_CACHE_FETCH")).toBe(true);
    expect(isQuorumLocksError(fetch, "QUORUM_LOCKS_TIMEOUT")).toBe(false);
    expect(isQuorumLocksError(new Error("x"))).toBe(false);
    expect(isQuorumLocksError({ code: "QUORUM_LOCKS_CACHE_FETCH" })).toBe(false);
    expect(isQuorumLocksError(undefined)).toBe(false);
  });

  it("the code is an own property: it survives serialising the error", () => {
    const error = new DeadlockError("r");
    expect(Object.hasOwn(error, "code")).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: "QUORUM_LOCKS_DEADLOCK" });
  });
});
