import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { within } from "./timeout.js";

type Listener = (message: string) => void;

interface Channel {
  readonly listeners: Set<Listener>;
  readonly dispatch: Listener;
  readonly subscribed: Promise<void>;
}

interface Batch {
  readonly listeners: Map<string, Listener>;
  /** Settles once the node acknowledged the batch's SUBSCRIBE (or it failed). */
  readonly sent: Promise<void>;
  readonly resolve: (sent: Promise<void> | undefined) => void;
}

/**
 * One shared subscriber connection per node, opened on first use, fanning each channel's
 * messages out to in-process listeners. A channel is subscribed while it has listeners.
 * Listening is best effort: if the node cannot confirm a subscription within `timeout` ms, the
 * listener stays registered (it may still get messages after a reconnection) and the caller
 * goes on, relying on its own timer.
 */
export class ChannelHub {
  readonly #adapter: RedisAdapter;
  readonly #timeout: number;
  readonly #channels = new Map<string, Channel>();
  /** Channels waiting for the next SUBSCRIBE (see #subscribe). */
  #batch: Batch | undefined;
  /** A SUBSCRIBE is in flight. */
  #sending = false;
  #connection: PubSubConnection | undefined;
  #closed = false;

  constructor(adapter: RedisAdapter, timeout: number) {
    this.#adapter = adapter;
    this.#timeout = timeout;
  }

  /** Whether this node can deliver notifications at all. */
  get available(): boolean {
    return !this.#closed && this.#adapter.openSubscriber !== undefined;
  }

  /**
   * Calls `listener` for every message on `channel` until the returned function is called.
   * Resolves once the node confirmed the subscription, or after the timeout.
   */
  async listen(channel: string, listener: Listener): Promise<() => void> {
    const connection = this.#open();
    if (connection === undefined) return noop;
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      const listeners = new Set<Listener>();
      const dispatch: Listener = (message) => {
        for (const l of listeners) l(message);
      };
      const subscribed = this.#subscribe(connection, channel, dispatch);
      entry = { listeners, dispatch, subscribed };
      this.#channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const current = entry;
    await within(current.subscribed, this.#timeout, noop);
    return () => {
      this.#remove(channel, current, listener);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#channels.clear();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
  }

  /**
   * Queues `channel` for the next multi-channel SUBSCRIBE. Waiters started together (thousands
   * of acquisitions whose first rounds come back over many socket reads) would each send a
   * SUBSCRIBE of their own, flooding the node and this process' event loop. Instead one batch
   * is in flight at a time: channels asked for in the same event-loop turn, or while the
   * previous batch awaits its acknowledgement, go out together when it comes (or when it times
   * out: a stalled node does not hold later subscriptions back for good).
   */
  #subscribe(connection: PubSubConnection, channel: string, dispatch: Listener): Promise<void> {
    let batch = this.#batch;
    if (batch === undefined) {
      let resolve!: (sent: Promise<void> | undefined) => void;
      const sent = new Promise<void>((r) => {
        resolve = r;
      });
      batch = { listeners: new Map<string, Listener>(), sent, resolve };
      this.#batch = batch;
      if (!this.#sending) setImmediate(flush, this, connection);
    }
    batch.listeners.set(channel, dispatch);
    return batch.sent;
  }

  /** @internal Sends the queued batch, then the one queued while it was in flight. */
  flush(connection: PubSubConnection): void {
    const batch = this.#batch;
    this.#batch = undefined;
    if (batch === undefined) return;
    if (this.#closed) {
      batch.resolve(undefined);
      return;
    }
    this.#sending = true;
    const sent = sendBatch(connection, batch.listeners);
    batch.resolve(sent);
    void within(sent, this.#timeout, noop).then(() => {
      this.#sending = false;
      if (this.#batch !== undefined) this.flush(connection);
    });
  }

  #open(): PubSubConnection | undefined {
    if (this.#closed || this.#adapter.openSubscriber === undefined) return undefined;
    this.#connection ??= this.#adapter.openSubscriber();
    return this.#connection;
  }

  #remove(channel: string, entry: Channel, listener: Listener): void {
    entry.listeners.delete(listener);
    if (entry.listeners.size > 0 || this.#channels.get(channel) !== entry) return;
    this.#channels.delete(channel);
    const connection = this.#connection;
    if (connection === undefined) return;
    void entry.subscribed.then(() =>
      connection.unsubscribe(channel, entry.dispatch).catch(() => undefined),
    );
  }
}

/** Subscribes `batch`'s channels: in one command when the connection can; failures ignored. */
function sendBatch(
  connection: PubSubConnection,
  batch: ReadonlyMap<string, Listener>,
): Promise<void> {
  const sent =
    connection.subscribeAll !== undefined && batch.size > 1
      ? connection.subscribeAll(batch)
      : Promise.all(
          [...batch].map(([channel, listener]) => connection.subscribe(channel, listener)),
        );
  return sent.then(
    () => undefined,
    () => undefined,
  );
}

function flush(hub: ChannelHub, connection: PubSubConnection): void {
  hub.flush(connection);
}

function noop(): void {
  // Nothing to stop: this node cannot notify.
}
