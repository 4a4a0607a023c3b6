// The README's "Fencing tokens" example, run by fenced-store.test.ts: a storage layer that
// rejects a stale writer by comparing its fencing token with the largest one it has seen.
import type { createClient } from "redis";

type Client = ReturnType<typeof createClient>;

// Writes ARGV[2] into the hash KEYS[1] unless a writer with a larger token got there first.
// An equal token is the same holder writing again. Compare-and-set in one script: atomic.
const FENCED_WRITE = `
local seen = redis.call('HGET', KEYS[1], 'fence')
if seen and tonumber(seen) > tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'value', ARGV[2])
return 1
`;

export class FencedStore {
  readonly #redis: Client;
  constructor(redis: Client) {
    this.#redis = redis;
  }

  /** Stores `value` under `key`; false when a holder with a larger token already wrote. */
  async write(key: string, value: string, fencingToken: bigint): Promise<boolean> {
    const accepted = await this.#redis.eval(FENCED_WRITE, {
      keys: [key],
      arguments: [fencingToken.toString(), value],
    });
    return accepted === 1;
  }

  async read(key: string): Promise<string | null> {
    return (await this.#redis.hGet(key, "value")) ?? null;
  }
}
