import { type ConfigIssue, LockConfigError } from "../errors/index.js";
import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { adaptOtherClient, isOtherClient, type OtherClient } from "./other-clients.js";
import {
  adaptNodeRedisClient,
  type ClientOptions,
  type CreatedClientSettings,
  createNodeRedisAdapter,
  isNodeRedisClient,
  type NodeRedisClient,
} from "./node-redis.js";
import type { RedisClientOptions } from "redis";

/**
 * One Redlock node as the caller gives it: a `redis://`/`rediss://` URL, node-redis client
 * options, a client the caller created (node-redis client, cluster or sentinel; ioredis or
 * iovalkey client or cluster; an ioredis-mock client; Valkey GLIDE client), or any
 * {@link RedisAdapter}. Anything else is refused with LockConfigError.
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

/**
 * Every option of node-redis' createClient() (RedisClientOptions, CommanderConfig's included);
 * `satisfies` makes the compiler list a name node-redis adds or drops.
 */
const CLIENT_OPTIONS = {
  url: true,
  socket: true,
  username: true,
  password: true,
  credentialsProvider: true,
  name: true,
  database: true,
  commandsQueueMaxLength: true,
  disableOfflineQueue: true,
  readonly: true,
  pingInterval: true,
  commandOptions: true,
  clientSideCache: true,
  disableClientInfo: true,
  clientInfoTag: true,
  emitInvalidate: true,
  maintNotifications: true,
  maintEndpointType: true,
  maintRelaxedCommandTimeout: true,
  maintRelaxedSocketTimeout: true,
  modules: true,
  functions: true,
  scripts: true,
  RESP: true,
  unstableResp3: true,
} as const satisfies Record<keyof RedisClientOptions, true>;

const KNOWN_CLIENTS = "node-redis, ioredis, iovalkey, ioredis-mock, Valkey GLIDE, a RedisAdapter";

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function className(value: object): string {
  const ctor = (Object.getPrototypeOf(value) as { constructor?: unknown } | null)?.constructor;
  const name = typeof ctor === "function" ? ctor.name : "";
  return name === "" ? "an object of an unnamed class" : `an object of class ${name}`;
}

/**
 * What is wrong with one node, if anything. An object is taken as node-redis options only when
 * it is plain and every key is an option name: node-redis ignores keys it does not know, so a
 * client we do not recognise, or ioredis-style `{ host, port }`, would silently become a client
 * of 127.0.0.1:6379, possibly another Redis than the caller meant.
 */
function checkNode(input: unknown, field: string): ConfigIssue[] {
  if (typeof input === "string") {
    // The URL is not repeated: it may carry a password.
    return isRedisUrl(input)
      ? []
      : [{ field, message: "must be a redis:// or rediss:// URL with a host" }];
  }
  if (typeof input !== "object" || input === null) {
    return [{ field, message: "must be a Redis URL, node-redis client options, or a client" }];
  }
  if (isAdapter(input) || isOtherClient(input) || isNodeRedisClient(input)) return [];
  if (input instanceof URL) {
    return [{ field, message: "is a URL object; pass it as a string (url.href)" }];
  }
  if (!isPlainObject(input)) {
    return [
      {
        field,
        message: `${className(input)} is neither node-redis client options nor a client quorum-locks recognises (${KNOWN_CLIENTS})`,
      },
    ];
  }
  const unknown = Object.keys(input).filter((key) => !Object.hasOwn(CLIENT_OPTIONS, key));
  const record = input as Record<string, unknown>;
  const methods = unknown.filter((key) => typeof record[key] === "function");
  if (methods.length > 0) {
    return [
      {
        field,
        message: `an object with methods (${methods.slice(0, 5).join(", ")}) is neither node-redis client options nor a client quorum-locks recognises (${KNOWN_CLIENTS})`,
      },
    ];
  }
  const issues = unknown.map((key) => ({
    field: `${field}.${key}`,
    message:
      key === "host" || key === "port"
        ? "is not a node-redis client option: give socket: { host, port } or a url"
        : "is not a node-redis client option",
  }));
  const url = record["url"];
  if (url !== undefined && (typeof url !== "string" || !isRedisUrl(url))) {
    issues.push({
      field: `${field}.url`,
      message: "must be a redis:// or rediss:// URL with a host",
    });
  }
  return issues;
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

/**
 * Throws a {@link LockConfigError} naming each bad node `<list>.<index>`, `list` being the name
 * the caller gave the list (`nodes`, a manager's `redisNodes`); nothing is connected.
 */
export function assertNodes(inputs: readonly unknown[], list: string): void {
  const issues = inputs.flatMap((input, i) => checkNode(input, `${list}.${i}`));
  if (issues.length > 0) throw new LockConfigError(issues);
}

/** Validates every node, then builds an adapter for each; throws before connecting anything. */
export function createNodes(
  inputs: readonly NodeInput[],
  settings: CreatedClientSettings,
): RedisAdapter[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new LockConfigError([{ field: "nodes", message: "must be a non-empty list of nodes" }]);
  }
  assertNodes(inputs, "nodes");
  return inputs.map((input, i) => {
    if (isAdapter(input)) return new BorrowedAdapter(input);
    const other = adaptOtherClient(input, i, settings.connectTimeout);
    if (other !== undefined) return other;
    if (isNodeRedisClient(input)) return adaptNodeRedisClient(input, i, settings.connectTimeout);
    return createNodeRedisAdapter(input as string | ClientOptions, i, settings);
  });
}
