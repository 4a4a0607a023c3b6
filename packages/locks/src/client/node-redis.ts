import { createClient, type RedisClientOptions } from "redis";
import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { untilFirst } from "./events.js";
import { labelFromOptions, labelFromUrl } from "./label.js";
import { within } from "./timeout.js";

/** The part of a node-redis v5 client this library uses; any `createClient()` result fits. */
export interface NodeRedisClient {
  /** Sends one command, arguments as strings. */
  sendCommand(args: readonly string[]): Promise<unknown>;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Whether a connection is open or being opened. */
  readonly isOpen: boolean;
  /** Whether the connection is ready for commands. */
  readonly isReady: boolean;
  /** The options it was created with (read for its host:port label). */
  readonly options?: { url?: string | undefined; socket?: unknown } | undefined;
  /** Closes gracefully, after the replies in flight. */
  close(): Promise<void>;
  /** Closes at once. */
  destroy(): void;
  /** Connection errors. */
  on(event: "error", listener: (err: Error) => void): unknown;
  /** (Re)connected and ready. */
  on(event: "ready", listener: () => void): unknown;
  /** The next `ready` or `error`. */
  once(event: "ready" | "error", listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with `on` or `once`. */
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  /** A new client with the same options (for pub/sub). */
  duplicate(): NodeRedisClient;
  /** Subscribes `listener` to the channels (one SUBSCRIBE for them all). */
  subscribe(
    channels: string | string[],
    listener: (message: string, channel: string) => void,
  ): Promise<void>;
  /** Unsubscribes `listener` from `channel`. */
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
}

/**
 * node-redis client options (`url`, `socket` with TLS settings, ACL `username`/`password`,
 * `RESP`, ...). Declared here so that our public types name it without reaching into
 * node-redis' internals.
 */
export interface ClientOptions extends RedisClientOptions {}

/** Settings for the clients this library creates from URLs or option objects. */
export interface CreatedClientSettings {
  /** ms to wait for a TCP (and TLS) connection before counting the node as down. */
  readonly connectTimeout: number;
  /** Extra node-redis options (TLS, ACL username/password, ...) merged into every created client. */
  readonly clientOptions?: ClientOptions | undefined;
  /** Told of every client error, so that a dead node never crashes the process. */
  readonly onError: (label: string, error: Error) => void;
}

export function isNodeRedisClient(value: unknown): value is NodeRedisClient {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as NodeRedisClient).sendCommand === "function" &&
    typeof (value as NodeRedisClient).connect === "function" &&
    "isOpen" in value
  );
}

// node-redis builds a client class for every distinct options object (its class cache is keyed
// by the options' JSON, url included): 20-50 ms per node. duplicate() of one template client
// reuses the class, so a five-node Redlock is ready in about a millisecond.
let template: ReturnType<typeof createClient> | undefined;
function newClient(options: RedisClientOptions): NodeRedisClient {
  template ??= createClient({});
  return template.duplicate(options);
}

// Reconnect in the background with capped, jittered backoff; commands never wait for it. Once
// the adapter is closed, stop: node-redis then closes the client after the attempt in flight.
function reconnectStrategy(isClosed: () => boolean) {
  return (retries: number): number | false =>
    isClosed()
      ? false
      : Math.min(50 * 2 ** Math.min(retries, 6), 2_000) + Math.floor(Math.random() * 100);
}

function settleWithin(events: Promise<unknown>, ms: number): Promise<boolean> {
  return within(
    events.then(() => true),
    ms,
    () => false,
  );
}

/**
 * Closes a client without leaving a socket behind. A responsive node is closed gracefully
 * (commands in flight get their replies); a PING, answered after everything sent before it,
 * tells within `graceMs` whether it is responsive: a paused node never answers, and node-redis'
 * close() would wait for it forever, so that client is destroyed. A client still connecting is
 * first allowed to finish its attempt: node-redis 5 destroyed mid-connection leaves the socket
 * open once the connection completes, and the process never exits.
 */
async function shutdown(client: NodeRedisClient, graceMs: number): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) {
    const answered = await settleWithin(
      client.sendCommand(["PING"]).catch(() => undefined),
      graceMs,
    );
    if (answered) await client.close().catch(() => undefined);
    else client.destroy();
    return;
  }
  await settleWithin(
    new Promise((resolve) => {
      client.once("ready", resolve);
      client.once("error", resolve);
    }),
    graceMs,
  );
  try {
    client.destroy();
  } catch {
    // The failed attempt already closed it (reconnection stopped).
  }
}

class NodeRedisAdapter implements RedisAdapter {
  readonly label: string;
  readonly firstConnection: Promise<void>;
  connectionSettled = false;
  generation = 0;
  readonly #client: NodeRedisClient;
  readonly #owned: { closed: boolean } | undefined;
  readonly #graceMs: number;
  /** Why the last connection attempt failed (WRONGPASS, a refused certificate, ...), until one succeeds. */
  #connectionError: string | undefined;
  readonly #onReady = () => {
    this.generation++;
    this.#connectionError = undefined;
  };

  /**
   * @param owned set when this library created the client: close() closes it and sets
   *   `closed`, which its reconnect strategy reads; undefined for a caller's client.
   */
  constructor(
    client: NodeRedisClient,
    owned: { closed: boolean } | undefined,
    label: string,
    graceMs: number,
  ) {
    this.#client = client;
    this.#owned = owned;
    this.label = label;
    this.#graceMs = graceMs;
    client.on("ready", this.#onReady);
    // Only on our own clients: a listener would change how a caller's client treats its errors.
    if (owned !== undefined) {
      client.on("error", (error: Error) => {
        if (!client.isReady) this.#connectionError = error.message;
      });
    }
    if (client.isReady) {
      this.connectionSettled = true;
      this.firstConnection = Promise.resolve();
    } else {
      this.firstConnection = untilFirst(client, ["ready", "error"]).then(() => {
        this.connectionSettled = true;
      });
      if (!client.isOpen) {
        // connect() keeps retrying through reconnectStrategy; failures surface as 'error' events.
        client.connect().catch(() => undefined);
      }
    }
  }

  sendCommand(args: readonly string[]): Promise<unknown> {
    // A caller's client may queue commands while it is disconnected: ours fail at once instead,
    // so that a round hears a dead node's failure rather than a reply long after its decision.
    // The reason is kept: "not connected" alone hides a wrong password or an untrusted certificate.
    if (this.connectionSettled && !this.#client.isReady) {
      const reason = this.#connectionError;
      return Promise.reject(
        new Error(
          `${this.label} is not connected${reason === undefined ? "" : ` (last connection error: ${reason})`}`,
        ),
      );
    }
    return this.#client.sendCommand(args);
  }

  openSubscriber(): PubSubConnection {
    // node-redis re-subscribes by itself after a reconnection.
    const subscriber = this.#client.duplicate();
    subscriber.on("error", () => undefined);
    const connected = subscriber.connect().then(() => undefined);
    connected.catch(() => undefined);
    // One listener for every channel, routing by channel: a multi-channel SUBSCRIBE takes a
    // single listener, and each channel must still be unsubscribable on its own.
    const listeners = new Map<string, Set<(message: string) => void>>();
    const route = (message: string, channel: string): void => {
      for (const listener of listeners.get(channel) ?? []) listener(message);
    };
    const add = (channel: string, listener: (message: string) => void): void => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
    };
    return {
      subscribe: async (channel, listener) => {
        add(channel, listener);
        await connected;
        await subscriber.subscribe(channel, route);
      },
      subscribeAll: async (all) => {
        for (const [channel, listener] of all) add(channel, listener);
        await connected;
        await subscriber.subscribe([...all.keys()], route);
      },
      unsubscribe: async (channel, listener) => {
        const set = listeners.get(channel);
        set?.delete(listener);
        if (set === undefined || set.size > 0) return;
        listeners.delete(channel);
        await connected;
        await subscriber.unsubscribe(channel, route);
      },
      close: () => shutdown(subscriber, this.#graceMs),
    };
  }

  async close(): Promise<void> {
    this.#client.removeListener("ready", this.#onReady);
    if (this.#owned === undefined) return;
    this.#owned.closed = true;
    await shutdown(this.#client, this.#graceMs);
  }
}

/** Wraps a client the caller created: we neither connect options onto it nor close it. */
export function adaptNodeRedisClient(
  client: NodeRedisClient,
  index: number,
  graceMs: number,
): RedisAdapter {
  return new NodeRedisAdapter(
    client,
    undefined,
    labelFromOptions(client.options, `node-${index}`),
    graceMs,
  );
}

/**
 * Creates and owns a node-redis client. The offline queue is off so that a command to a node
 * that is down fails at once instead of waiting for a reconnection that may never come.
 */
export function createNodeRedisAdapter(
  target: string | RedisClientOptions,
  index: number,
  settings: CreatedClientSettings,
): RedisAdapter {
  const base = settings.clientOptions ?? {};
  const own = typeof target === "string" ? { url: target } : target;
  const state = { closed: false };
  const socket = {
    connectTimeout: settings.connectTimeout,
    reconnectStrategy: reconnectStrategy(() => state.closed),
    ...base.socket,
    ...own.socket,
  } as NonNullable<RedisClientOptions["socket"]>;
  const options: RedisClientOptions = { ...base, ...own, socket, disableOfflineQueue: true };
  const label =
    typeof target === "string" ? labelFromUrl(target) : labelFromOptions(options, `node-${index}`);
  const client = newClient(options);
  client.on("error", (error: Error) => {
    settings.onError(label, error);
  });
  return new NodeRedisAdapter(client, state, label, settings.connectTimeout);
}
