import type { RedisAdapter } from "../client/adapter.js";
import type { ClientOptions } from "../client/node-redis.js";
import { createNodes, type NodeInput } from "../client/node-inputs.js";
import { RedisNode } from "../client/redis-node.js";
import { withTimeout } from "../client/timeout.js";
import { type LuaScript, scripts } from "../scripts/index.js";
import { entryFromRead, failureNotice } from "./envelope.js";
import {
  type CacheEntry,
  type CacheNotice,
  type CacheStore,
  type CacheWrite,
  parseNotice,
} from "./store.js";

/** How the Redis store reaches its server. */
export interface RedisCacheStoreOptions {
  /** Longest wait for one command; a slower reply fails the call (the caller degrades). */
  readonly commandTimeout?: number;
  /** TCP/TLS connect timeout of a client created from a URL or options. */
  readonly connectTimeout?: number;
  /** node-redis options merged into a client created from a URL or options. */
  readonly clientOptions?: ClientOptions;
  /** Told of client errors (the server is down, ...), with the server's host:port. */
  readonly onError?: (label: string, error: Error) => void;
}

/**
 * Cached values in one Redis server shared by every process, so that one process's fetch serves
 * them all and values survive a restart of the service. Writes are compare-and-set on the
 * entry's generation (a Lua script) and published on a channel named after the key, which wakes
 * waiters in every process at once.
 */
export class RedisCacheStore implements CacheStore {
  readonly #node: RedisNode;
  readonly #timeout: number;
  /** Names the server in timeout messages. */
  readonly #what: string;

  /**
   * @param server a `redis://`/`rediss://` URL, node-redis options, a node-redis client you
   *   created (left open by `close()`), or a {@link RedisAdapter}.
   */
  constructor(server: NodeInput, options: RedisCacheStoreOptions = {}) {
    const [adapter] = createNodes([server], {
      connectTimeout: options.connectTimeout ?? 2_000,
      clientOptions: options.clientOptions,
      onError: options.onError ?? (() => undefined),
    });
    this.#timeout = options.commandTimeout ?? 500;
    this.#node = new RedisNode(adapter as RedisAdapter, this.#timeout);
    this.#what = `cache server ${this.#node.label}`;
  }

  /** The server's host:port. */
  get label(): string {
    return this.#node.label;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const { cacheRead } = scripts;
    const reply = await this.#run(cacheRead, cacheRead.encode(key));
    return entryFromRead(cacheRead.decode(reply), Date.now());
  }

  async set(
    key: string,
    write: CacheWrite,
    expectedGeneration?: number,
  ): Promise<number | undefined> {
    const { cacheWrite } = scripts;
    const args = cacheWrite.encode({
      key,
      payload: write.payload,
      expectedGeneration,
      ttl: write.ttl,
      staleTtl: write.staleTtl,
      fetchDuration: write.fetchDuration,
      channel: key,
      inline: write.payload.length <= INLINE_NOTICE_LIMIT,
    });
    const { written, generation } = cacheWrite.decode(await this.#run(cacheWrite, args));
    return written ? generation : undefined;
  }

  async fail(
    key: string,
    expectedGeneration: number,
    backoff: number,
    message: string,
  ): Promise<void> {
    const { cacheFail } = scripts;
    const args = cacheFail.encode({
      key,
      expectedGeneration,
      backoff,
      channel: key,
      message: failureNotice(message),
    });
    await this.#run(cacheFail, args);
  }

  async delete(key: string): Promise<void> {
    await this.#command(["DEL", key]);
  }

  listen(key: string, listener: (notice: CacheNotice) => void): Promise<() => void> {
    return this.#node.channels.listen(key, (message) => {
      const notice = parseNotice(message, Date.now());
      if (notice !== undefined) listener(notice);
    });
  }

  /** Sends PING; resolves when the server answered within the command timeout. */
  async ping(): Promise<void> {
    await this.#command(["PING"]);
  }

  async close(): Promise<void> {
    await this.#node.close();
  }

  // A paused or unreachable server must not hold callers up: they degrade instead.
  #run(script: LuaScript, args: readonly string[]): Promise<unknown> {
    return withTimeout(
      this.#node.run(script, args, performance.now()),
      this.#timeout,
      `${this.#what} timed out`,
    );
  }

  #command(args: string[]): Promise<unknown> {
    return this.#node.command(args, this.#timeout, this.#what);
  }
}

/**
 * Values up to this many characters travel with the write's notice, so that a burst of waiters
 * in other processes is served without reading the key again; larger ones are read.
 */
const INLINE_NOTICE_LIMIT = 16_384;
