/**
 * What the lock algorithm needs from a Redis client: send one command, know whether the first
 * connection attempt has settled, and close what we opened. Any client library can sit behind it.
 */
export interface RedisAdapter {
  /** The node's address for messages and statistics: host and port, never credentials. */
  readonly label: string;
  /** Sends one command (all arguments as strings) and resolves with the raw reply. */
  sendCommand(args: readonly string[]): Promise<unknown>;
  /**
   * Settles once the first connection attempt has succeeded or failed, so that the first
   * command after construction is not rejected merely because the socket is still opening.
   */
  readonly firstConnection: Promise<void>;
  /** Whether `firstConnection` has settled (checked on the hot path to skip an await). */
  readonly connectionSettled: boolean;
  /**
   * Bumped each time the connection is (re)established. A new connection may lead to a server
   * that has forgotten our scripts (a restart), so they are sent in full again. Optional: an
   * adapter without it relies on the NOSCRIPT fallback alone.
   */
  readonly generation?: number | undefined;
  /**
   * True when the client routes each command by its keys over a Redis Cluster: then every key
   * of one lock must hash to one slot (use a hash tag: `{order:42}:a`, `{order:42}:b`), which
   * acquire checks before sending anything.
   */
  readonly cluster?: boolean | undefined;
  /** Closes the client if this library created it; leaves a caller's client open. */
  close(): Promise<void>;
  /**
   * Opens a separate connection for pub/sub on the same node, owned by the caller of this
   * method. Optional: without it, waiters fall back to timers instead of notifications.
   */
  readonly openSubscriber?: (() => PubSubConnection) | undefined;
}

/** A pub/sub connection: channel messages as strings. */
export interface PubSubConnection {
  /** Resolves when the node acknowledged the subscription. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /**
   * Subscribes every channel of `listeners` (channel to its listener) with one multi-channel
   * SUBSCRIBE; resolves when the node acknowledged them all. Optional: without it, each channel
   * is subscribed on its own (one command each, which thousands of waiters pay for).
   */
  subscribeAll?(listeners: ReadonlyMap<string, (message: string) => void>): Promise<void>;
  /** Stops `listener` from hearing `channel`. */
  unsubscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}
