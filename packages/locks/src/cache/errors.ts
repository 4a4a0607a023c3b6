import { brand } from "../errors/brand.js";
import { LockError, LockTimeoutError } from "../errors/index.js";

function quoted(key: string): string {
  return JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key);
}

/** A fetcher's value cannot be cached: it was `undefined`, or the serializer gave no string. */
export class CacheValueError extends LockError {
  static {
    brand(this, "CacheValueError", "QUORUM_LOCKS_CACHE_VALUE");
  }
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`The value fetched for ${quoted(key)} cannot be cached: ${reason}`);
    this.key = key;
  }
}

/** The refresh of a key failed in another process while this one waited for its value. */
export class CacheFetchError extends LockError {
  static {
    brand(this, "CacheFetchError", "QUORUM_LOCKS_CACHE_FETCH");
  }
  readonly key: string;
  constructor(key: string, remoteMessage: string) {
    super(`Refreshing ${quoted(key)} failed in another process: ${remoteMessage}`);
    this.key = key;
  }
}

/**
 * A caller's `timeout` ran out while it waited for a cached value being refreshed (here or in
 * another process), not for a lock of its own. A LockTimeoutError, so that code catching those
 * catches it too; its reason is `held`: the refresh lock was someone else's all along.
 */
export class CacheTimeoutError extends LockTimeoutError {
  static {
    brand(this, "CacheTimeoutError", "QUORUM_LOCKS_CACHE_TIMEOUT");
  }
  readonly key: string;
  constructor(key: string, timeout: number) {
    super([key], timeout, 0, [], {
      reason: "held",
      message: `Timed out after ${timeout} ms waiting for the cached value of ${quoted(key)}`,
    });
    this.key = key;
  }
}

/** The fetcher's own error, carried to every waiter of the round that ran it. */
export class FetchFailed extends Error {
  constructor(readonly error: unknown) {
    super("fetch failed", { cause: error });
  }
}
