import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { firstKey } from "./command-keys.js";
import { hostPort } from "./label.js";

type Listener = (message: string) => void;

/** What node-redis' cluster and sentinel clients share: they open and subscribe alike. */
export interface RoutedClient {
  /** Whether a connection is open or being opened. */
  readonly isOpen: boolean;
  /** Opens the connections. */
  connect(): Promise<unknown>;
  // Messages are strings unless buffer mode is asked for, which we never do.
  /** Subscribes `listener` to `channel`. */
  subscribe(channel: string, listener: (message: unknown) => void): Promise<unknown>;
  /** Unsubscribes `listener` from `channel`. */
  unsubscribe(channel: string, listener: (message: unknown) => void): Promise<unknown>;
  /** Listens to a client event. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Stops listening to a client event. */
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The part of a node-redis cluster client (`createCluster()`) this library uses. */
export interface NodeRedisCluster extends RoutedClient {
  /** The master nodes. */
  readonly masters: readonly unknown[];
  /** The client of one node. */
  nodeClient(node: never): unknown;
  /** Sends one command to the node that owns `firstKey`. */
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>;
  /** A new cluster client with the same options (for pub/sub). */
  duplicate(): NodeRedisCluster;
  /** Closes at once. */
  destroy(): void;
}

/** The part of a node-redis Sentinel-managed client (`createSentinel()`) this library uses. */
export interface NodeRedisSentinel extends RoutedClient {
  /** The current master's address. */
  getMasterNode(): { host: string; port: number } | undefined;
  /** Sends one command to the master. */
  sendCommand(isReadonly: boolean, args: string[]): Promise<unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function isNodeRedisCluster(value: unknown): value is NodeRedisCluster {
  return (
    isObject(value) &&
    typeof value["sendCommand"] === "function" &&
    typeof value["nodeClient"] === "function" &&
    "masters" in value
  );
}

export function isNodeRedisSentinel(value: unknown): value is NodeRedisSentinel {
  return (
    isObject(value) &&
    typeof value["sendCommand"] === "function" &&
    typeof value["getMasterNode"] === "function"
  );
}

/** Connects a client the caller has not connected yet; settles either way. */
function opened(client: RoutedClient): Promise<void> {
  if (client.isOpen) return Promise.resolve();
  return client.connect().then(
    () => undefined,
    () => undefined,
  );
}

/**
 * Pub/sub on a routed client. node-redis subscribes on a dedicated connection of its own
 * (one node of a cluster: a message published anywhere in a cluster reaches every node; the
 * current master under Sentinel), so listening never blocks commands. Our listeners are
 * removed when the connection is closed; the client itself stays the caller's.
 */
function subscriberOn(client: RoutedClient, close: () => Promise<void>): PubSubConnection {
  const ours = new Map<string, Set<Listener>>();
  return {
    subscribe: async (channel, listener) => {
      const set = ours.get(channel) ?? new Set();
      ours.set(channel, set);
      set.add(listener);
      await client.subscribe(channel, listener as (message: unknown) => void);
    },
    unsubscribe: async (channel, listener) => {
      ours.get(channel)?.delete(listener);
      await client.unsubscribe(channel, listener as (message: unknown) => void);
    },
    close: async () => {
      const removals = [...ours].flatMap(([channel, set]) =>
        [...set].map((l) =>
          client.unsubscribe(channel, l as (message: unknown) => void).catch(() => undefined),
        ),
      );
      ours.clear();
      await Promise.all(removals);
      await close();
    },
  };
}

/**
 * A caller's node-redis cluster client: each command goes to the shard of its first key
 * (EVAL/EVALSHA name theirs after `numkeys`). Pub/sub runs on a duplicate that we own and
 * destroy. Each shard keeps its own script cache: a script is sent in full once per shard
 * (the NOSCRIPT fallback).
 */
class ClusterAdapter implements RedisAdapter {
  readonly label: string;
  readonly firstConnection: Promise<void>;
  readonly cluster = true;
  connectionSettled = false;
  readonly #client: NodeRedisCluster;

  constructor(client: NodeRedisCluster, index: number) {
    this.#client = client;
    const root = (client as { _options?: { rootNodes?: { url?: string; socket?: unknown }[] } })
      ._options?.rootNodes?.[0];
    const first = root?.url === undefined ? hostPort(root?.socket) : new URL(root.url).host;
    this.label = first === undefined ? `cluster-${index}` : `cluster:${first}`;
    this.firstConnection = opened(client).then(() => {
      this.connectionSettled = true;
    });
  }

  sendCommand(args: readonly string[]): Promise<unknown> {
    return this.#client.sendCommand(firstKey(args), false, [...args]);
  }

  openSubscriber(): PubSubConnection {
    const subscriber = this.#client.duplicate();
    subscriber.on("error", () => undefined);
    const connected = opened(subscriber);
    const connection = subscriberOn(subscriber, () => {
      subscriber.destroy();
      return Promise.resolve();
    });
    return {
      ...connection,
      subscribe: async (channel, listener) => {
        await connected;
        await connection.subscribe(channel, listener);
      },
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A caller's node-redis Sentinel-managed client: commands go to the current master. A
 * failover (a new master) may lead to a server without our scripts: they are sent in full
 * again. Pub/sub uses the client's own pub/sub connection; our listeners leave at close().
 */
class SentinelAdapter implements RedisAdapter {
  readonly label: string;
  readonly firstConnection: Promise<void>;
  connectionSettled = false;
  generation = 0;
  readonly #client: NodeRedisSentinel;
  readonly #onTopology = (...args: unknown[]) => {
    if ((args[0] as { type?: unknown } | undefined)?.type === "MASTER_CHANGE") this.generation++;
  };

  constructor(client: NodeRedisSentinel, index: number) {
    this.#client = client;
    client.on("topology-change", this.#onTopology);
    const master = client.getMasterNode();
    this.label = master === undefined ? `sentinel-${index}` : `sentinel:${hostPort(master)}`;
    this.firstConnection = opened(client).then(() => {
      this.connectionSettled = true;
    });
  }

  sendCommand(args: readonly string[]): Promise<unknown> {
    return this.#client.sendCommand(false, [...args]);
  }

  openSubscriber(): PubSubConnection {
    return subscriberOn(this.#client, () => Promise.resolve());
  }

  close(): Promise<void> {
    this.#client.removeListener("topology-change", this.#onTopology);
    return Promise.resolve();
  }
}

export function adaptNodeRedisCluster(client: NodeRedisCluster, index: number): RedisAdapter {
  return new ClusterAdapter(client, index);
}

export function adaptNodeRedisSentinel(client: NodeRedisSentinel, index: number): RedisAdapter {
  return new SentinelAdapter(client, index);
}
