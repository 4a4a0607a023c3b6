import { type ConfigIssue, LockConfigError } from "../errors/index.js";
import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { adaptOtherClient, type OtherClient } from "./clients.js";
import {
  adaptNodeRedisClient,
  type ClientOptions,
  type CreatedClientSettings,
  createNodeRedisAdapter,
  isNodeRedisClient,
  type NodeRedisClient,
} from "./node-redis.js";

/**
 * One Redlock node as the caller gives it: a `redis://`/`rediss://` URL, node-redis client
 * options, a client the caller created (node-redis client, cluster or sentinel; ioredis or
 * iovalkey client or cluster; Valkey GLIDE client), or any {@link RedisAdapter}.
 */
export type NodeInput = string | ClientOptions | NodeRedisClient | OtherClient | RedisAdapter;

function isAdapter(value: unknown): value is RedisAdapter {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as RedisAdapter).sendCommand === "function" &&
    typeof (value as RedisAdapter).label === "string" &&
    "firstConnection" in value
  );
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function checkNode(input: unknown, index: number): ConfigIssue | undefined {
  const field = `nodes.${index}`;
  if (typeof input === "string") {
    // The URL is not repeated: it may carry a password.
    return isRedisUrl(input)
      ? undefined
      : { field, message: "must be a redis:// or rediss:// URL with a host" };
  }
  if (typeof input !== "object" || input === null) {
    return { field, message: "must be a Redis URL, node-redis client options, or a client" };
  }
  const url = (input as { url?: unknown }).url;
  if (url !== undefined && (typeof url !== "string" || !isRedisUrl(url))) {
    return { field: `${field}.url`, message: "must be a redis:// or rediss:// URL with a host" };
  }
  return undefined;
}

/** An adapter the caller built stays the caller's to close, like a client it passed in. */
class BorrowedAdapter implements RedisAdapter {
  readonly #inner: RedisAdapter;
  constructor(inner: RedisAdapter) {
    this.#inner = inner;
  }
  get label(): string {
    return this.#inner.label;
  }
  get firstConnection(): Promise<void> {
    return this.#inner.firstConnection;
  }
  get connectionSettled(): boolean {
    return this.#inner.connectionSettled;
  }
  get generation(): number | undefined {
    return this.#inner.generation;
  }
  get cluster(): boolean | undefined {
    return this.#inner.cluster;
  }
  sendCommand(args: readonly string[]): Promise<unknown> {
    return this.#inner.sendCommand(args);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  get openSubscriber(): (() => PubSubConnection) | undefined {
    const open = this.#inner.openSubscriber;
    return open === undefined ? undefined : () => open.call(this.#inner);
  }
}

/** Validates every node, then builds an adapter for each; throws before connecting anything. */
export function createNodes(
  inputs: readonly NodeInput[],
  settings: CreatedClientSettings,
): RedisAdapter[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new LockConfigError([{ field: "nodes", message: "must be a non-empty list of nodes" }]);
  }
  const issues = inputs.map(checkNode).filter((i): i is ConfigIssue => i !== undefined);
  if (issues.length > 0) throw new LockConfigError(issues);
  return inputs.map((input, i) => {
    if (isAdapter(input)) return new BorrowedAdapter(input);
    const other = adaptOtherClient(input, i, settings.connectTimeout);
    if (other !== undefined) return other;
    if (isNodeRedisClient(input)) return adaptNodeRedisClient(input, i, settings.connectTimeout);
    return createNodeRedisAdapter(input as string | ClientOptions, i, settings);
  });
}
