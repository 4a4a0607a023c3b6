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

/** A LockTimeoutError saying that the wait was for a cached value, not for a lock. */
export function valueTimeout(key: string, timeout: number): LockTimeoutError {
  const error = new LockTimeoutError([key], timeout, 0, []);
  error.message = `Timed out after ${timeout} ms waiting for the cached value of ${quoted(key)}`;
  return error;
}

/** The fetcher's own error, carried to every waiter of the round that ran it. */
export class FetchFailed extends Error {
  constructor(readonly error: unknown) {
    super("fetch failed", { cause: error });
  }
}
