import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { labelFromIoRedis } from "./label.js";
import { untilFirst } from "./events.js";

/**
 * The part of an ioredis client (`new Redis(...)`, `new Redis.Cluster(...)`, a Sentinel-managed
 * `new Redis({ sentinels, name })`) this library uses. iovalkey, ioredis' Valkey fork, has the
 * same shape. Recognised by shape: neither library is imported.
 */
export interface IoRedisClient {
  /** Connection state: `wait`, `connecting`, `ready`, `end`, ... */
  readonly status: string;
  /** True for a `Redis.Cluster`. */
  readonly isCluster: boolean;
  /** The options it was created with (read for its host:port label). */
  readonly options: object;
  /** Sends one command. */
  call(command: string, ...args: string[]): Promise<unknown>;
  /** Connects a lazy client. */
  connect(): Promise<void>;
  /** Closes at once. */
  disconnect(): void;
  /** A new client with the same options (for pub/sub). */
  duplicate(): IoRedisClient;
  /** Subscribes to channels (messages arrive as `message` events). */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Unsubscribes from channels. */
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** Listens to a client event. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Stops listening to a client event. */
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

export function isIoRedisClient(value: unknown): value is IoRedisClient {
  if (typeof value !== "object" || value === null) return false;
  const client = value as Partial<IoRedisClient>;
  return (
    typeof client.call === "function" &&
    typeof client.duplicate === "function" &&
    typeof client.status === "string" &&
    typeof client.isCluster === "boolean"
  );
}

/**
 * An ioredis-mock client (`new RedisMock()`: ioredis' API over an in-memory store, for tests). It
 * has ioredis' command methods and events but neither `call()`, `status` nor `isCluster`, so it
 * is recognised by what it has instead, down to the SHA table its EVALSHA reads.
 */
export interface IoRedisMockClient {
  readonly connected: boolean;
  readonly options: { readonly lazyConnect?: boolean | undefined };
  readonly shaScripts: object;
  connect(): Promise<unknown>;
  disconnect(): void;
  duplicate(): IoRedisMockClient;
  evalsha(...args: unknown[]): Promise<unknown>;
  defineCommand(...args: unknown[]): unknown;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Whether `value` looks like an ioredis-mock client (see {@link IoRedisMockClient}). */
export function isIoRedisMock(value: unknown): value is IoRedisMockClient {
  if (typeof value !== "object" || value === null) return false;
  const mock = value as Partial<Record<keyof IoRedisMockClient | "call", unknown>>;
  return (
    mock.call === undefined &&
    typeof mock.connected === "boolean" &&
    typeof mock.shaScripts === "object" &&
    typeof mock.options === "object" &&
    typeof mock.duplicate === "function" &&
    typeof mock.evalsha === "function" &&
    typeof mock.defineCommand === "function" &&
    typeof mock.subscribe === "function"
  );
}

/**
 * The mock seen as an ioredis client: `call(name, ...args)` goes to its method of that name, and
 * its `connected` flag stands for `status`. A command it does not emulate fails with an error
 * that says so (SCRIPT is one: scripts run by EVAL after EVALSHA's NOSCRIPT). Its INFO is canned
 * (a fixed run_id and an uptime of 78 s): read, it would keep the node out of quorums for any
 * ttl above 78 s, as if the server had just restarted. Refused instead, it leaves the restart
 * quarantine nothing to go on, which is right for a store that lives in this process.
 */
function mockAsClient(mock: IoRedisMockClient): IoRedisClient {
  const methods = mock as unknown as Record<string, unknown>;
  return {
    get status() {
      if (mock.connected) return "ready";
      return mock.options.lazyConnect === true ? "wait" : "connecting";
    },
    isCluster: false,
    options: mock.options,
    call(command, ...args) {
      if (command.toUpperCase() === "INFO") {
        return Promise.reject(new Error("ioredis-mock's INFO is canned, so it is not read"));
      }
      const method = methods[command.toLowerCase()];
      if (typeof method !== "function") {
        return Promise.reject(new Error(`ioredis-mock does not emulate ${command}`));
      }
      // Some mock commands throw instead of rejecting: both end up as a rejection.
      return Promise.resolve().then(() =>
        (method as (...a: string[]) => unknown).apply(mock, args),
      );
    },
    connect: () => mock.connect().then(() => undefined),
    disconnect: () => {
      mock.disconnect();
    },
    duplicate: () => mockAsClient(mock.duplicate()),
    subscribe: (...channels) => mock.subscribe(...channels),
    unsubscribe: (...channels) => mock.unsubscribe(...channels),
    on: (event, listener) => mock.on(event, listener),
    removeListener: (event, listener) => mock.removeListener(event, listener),
  };
}

/** Resolves once `client` is ready; connects a lazy (`lazyConnect`) client first. */
function settled(client: IoRedisClient): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  const first = untilFirst(client, ["ready", "error", "close", "end"]);
  if (client.status === "wait") client.connect().catch(() => undefined);
  return first;
}

/**
 * A caller's ioredis or iovalkey client. It is never closed by us; its settings stay as they
 * are, except that our commands fail at once while it is not connected instead of waiting in
 * its offline queue: a round must hear a dead node's failure, not a reply that arrives once
 * the node is back, long after the round was decided.
 */
class IoRedisAdapter implements RedisAdapter {
  readonly label: string;
  readonly firstConnection: Promise<void>;
  readonly cluster: boolean;
  connectionSettled = false;
  generation = 0;
  readonly #client: IoRedisClient;
  readonly #onReady = () => {
    this.generation++;
  };

  constructor(client: IoRedisClient, index: number, labelPrefix = "") {
    this.#client = client;
    this.cluster = client.isCluster;
    this.label = labelPrefix + labelFromIoRedis(client, `node-${index}`);
    client.on("ready", this.#onReady);
    this.firstConnection = settled(client).then(() => {
      this.connectionSettled = true;
    });
  }

  sendCommand(args: readonly string[]): Promise<unknown> {
    const client = this.#client;
    if (client.status !== "ready") {
      return Promise.reject(new Error(`${this.label} is not connected (${client.status})`));
    }
    return client.call(args[0] as string, ...args.slice(1));
  }

  openSubscriber(): PubSubConnection {
    // ioredis subscribes again by itself after a reconnection (autoResubscribe).
    const subscriber = this.#client.duplicate();
    subscriber.on("error", () => undefined);
    const listeners = new Map<string, Set<(message: string) => void>>();
    subscriber.on("message", (channel, message) => {
      for (const listener of listeners.get(channel as string) ?? []) listener(message as string);
    });
    const ready = settled(subscriber);
    const add = (channel: string, listener: (message: string) => void): void => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
    };
    return {
      subscribe: async (channel, listener) => {
        add(channel, listener);
        await ready;
        await subscriber.subscribe(channel);
      },
      subscribeAll: async (all) => {
        for (const [channel, listener] of all) add(channel, listener);
        await ready;
        await subscriber.subscribe(...all.keys());
      },
      unsubscribe: async (channel, listener) => {
        const set = listeners.get(channel);
        set?.delete(listener);
        if (set === undefined || set.size > 0) return;
        listeners.delete(channel);
        await subscriber.unsubscribe(channel);
      },
      close: () => {
        // Immediate: a paused node would never answer QUIT.
        subscriber.disconnect();
        return Promise.resolve();
      },
    };
  }

  close(): Promise<void> {
    this.#client.removeListener("ready", this.#onReady);
    return Promise.resolve();
  }
}

/** Wraps a caller's ioredis or iovalkey client (standalone, Sentinel-managed or Cluster). */
export function adaptIoRedisClient(client: IoRedisClient, index: number): RedisAdapter {
  return new IoRedisAdapter(client, index);
}

/** Wraps a caller's ioredis-mock client; its label says it is one, not a server at host:port. */
export function adaptIoRedisMock(mock: IoRedisMockClient, index: number): RedisAdapter {
  return new IoRedisAdapter(mockAsClient(mock), index, "ioredis-mock:");
}
