import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * What the link through a proxy does: pass bytes through, hold each chunk back `delay` ms
 * (order kept), drop the connections with a reset and refuse new ones (`reset`), or keep every
 * socket open while forwarding nothing (`blackhole`: a partition, which clients only notice by
 * timing out).
 */
export type LinkState =
  | { readonly kind: "ok" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "reset" }
  | { readonly kind: "blackhole" };

/** Forwards chunks in order, each no earlier than `delay` ms after it arrived. */
class DelayedPipe {
  readonly #to: Socket;
  readonly #queue: { at: number; chunk: Buffer }[] = [];
  #timer: NodeJS.Timeout | undefined;
  constructor(to: Socket) {
    this.#to = to;
  }
  push(chunk: Buffer, delay: number): void {
    if (delay <= 0 && this.#queue.length === 0) {
      this.#to.write(chunk);
      return;
    }
    this.#queue.push({ at: performance.now() + delay, chunk });
    this.#schedule();
  }
  #schedule(): void {
    if (this.#timer !== undefined) return;
    const head = this.#queue[0];
    if (head === undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const now = performance.now();
        while (this.#queue[0] !== undefined && this.#queue[0].at <= now) {
          const item = this.#queue.shift();
          if (item !== undefined && !this.#to.destroyed) this.#to.write(item.chunk);
        }
        this.#schedule();
      },
      Math.max(0, head.at - performance.now()),
    );
  }
  stop(): void {
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

/**
 * A TCP proxy in front of one Redis node, so that a test can slow down or cut the link between
 * the clients and that node without touching the node itself.
 */
export class LinkProxy {
  readonly port: number;
  readonly #server: Server;
  #targetPort: number;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; pipes: DelayedPipe[] }>();
  #state: LinkState = { kind: "ok" };

  private constructor(server: Server, port: number, targetPort: number) {
    this.#server = server;
    this.port = port;
    this.#targetPort = targetPort;
    server.on("connection", (client) => {
      this.#accept(client);
    });
  }

  static start(targetPort: number): Promise<LinkProxy> {
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        if (address === null || typeof address === "string") {
          reject(new Error("proxy has no port"));
          return;
        }
        resolve(new LinkProxy(server, address.port, targetPort));
      });
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get state(): LinkState {
    return this.#state;
  }

  /**
   * Changes the link. Leaving `blackhole` or entering `reset` drops the connections: bytes were
   * lost, so their streams can no longer be trusted; clients reconnect.
   */
  set(state: LinkState): void {
    const previous = this.#state;
    this.#state = state;
    if (state.kind === "reset" || previous.kind === "blackhole") this.#dropAll();
  }

  /**
   * Sends new connections to another server from now on, and drops the current ones: the
   * endpoint now leads to another server process, as after a failover behind a virtual IP.
   */
  retarget(targetPort: number): void {
    this.#targetPort = targetPort;
    this.#dropAll();
  }

  #accept(client: Socket): void {
    if (this.#state.kind === "reset") {
      client.destroy();
      return;
    }
    const upstream = connect({ port: this.#targetPort, host: "127.0.0.1", noDelay: true });
    const toUpstream = new DelayedPipe(upstream);
    const toClient = new DelayedPipe(client);
    const pair = { client, upstream, pipes: [toUpstream, toClient] };
    this.#pairs.add(pair);
    const forward = (pipe: DelayedPipe) => (chunk: Buffer) => {
      const state = this.#state;
      if (state.kind === "blackhole" || state.kind === "reset") return;
      pipe.push(chunk, state.kind === "delay" ? state.ms : 0);
    };
    client.on("data", forward(toUpstream));
    upstream.on("data", forward(toClient));
    const close = () => {
      this.#pairs.delete(pair);
      for (const pipe of pair.pipes) pipe.stop();
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  }

  #dropAll(): void {
    for (const pair of this.#pairs) {
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
  }

  async stop(): Promise<void> {
    this.#dropAll();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
