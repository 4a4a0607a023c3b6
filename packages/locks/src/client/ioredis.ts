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

  constructor(client: IoRedisClient, index: number) {
    this.#client = client;
    this.cluster = client.isCluster;
    this.label = labelFromIoRedis(client, `node-${index}`);
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
    return {
      subscribe: async (channel, listener) => {
        const set = listeners.get(channel) ?? new Set();
        listeners.set(channel, set);
        set.add(listener);
        await ready;
        await subscriber.subscribe(channel);
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
