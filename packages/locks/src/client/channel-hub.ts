import type { PubSubConnection, RedisAdapter } from "./adapter.js";
import { within } from "./timeout.js";

type Listener = (message: string) => void;

interface Channel {
  readonly listeners: Set<Listener>;
  readonly dispatch: Listener;
  readonly subscribed: Promise<void>;
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
  /** Channels asked for in this turn of the event loop, subscribed together at its end. */
  #batch: Map<string, Listener> | undefined;
  #batchSent: Promise<void> | undefined;
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
   * Queues `channel` for the batch of this event-loop turn. Waiters started together (thousands
   * of acquisitions whose first rounds came back in the same socket reads) ask for their
   * channels in one turn: sent at its end (setImmediate, after the poll phase has delivered
   * every reply already read), they go out as one multi-channel SUBSCRIBE instead of one
   * command each, which would flood the node and this process' event loop.
   */
  #subscribe(connection: PubSubConnection, channel: string, dispatch: Listener): Promise<void> {
    if (this.#batch === undefined) {
      const batch = new Map<string, Listener>();
      this.#batch = batch;
      this.#batchSent = new Promise<void>((resolve) => {
        setImmediate(() => {
          this.#batch = undefined;
          resolve(this.#closed ? undefined : sendBatch(connection, batch));
        });
      });
    }
    this.#batch.set(channel, dispatch);
    return this.#batchSent as Promise<void>;
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

function noop(): void {
  // Nothing to stop: this node cannot notify.
}
