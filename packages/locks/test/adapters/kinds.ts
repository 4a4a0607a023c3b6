import { Redis as IoRedis } from "ioredis";
import { Valkey } from "iovalkey";
import { GlideClient, Logger } from "@valkey/valkey-glide";
import { createClient } from "redis";
import type { CallerClient, ClientKind } from "./behaviour.js";

export const nodeRedis: ClientKind = {
  name: "node-redis",
  async connect(url) {
    const client = createClient({ url });
    client.on("error", () => undefined);
    await client.connect();
    return {
      input: client,
      connected: () => client.isReady,
      listeners: () => client.listenerCount("ready") + client.listenerCount("error"),
      ping: () => client.ping(),
      close: () => {
        client.destroy();
        return Promise.resolve();
      },
    };
  },
};

/** What ioredis and iovalkey clients share, for one factory over both. */
interface IoLike {
  readonly status: string;
  ping(): Promise<string>;
  disconnect(): void;
  on(event: "error", listener: () => void): unknown;
  once(event: "ready", listener: () => void): unknown;
  listenerCount(event: string): number;
}

/** A client with the library's defaults (offline queue on, 20 retries per request). */
async function ioClient(client: IoLike, input: CallerClient["input"]): Promise<CallerClient> {
  client.on("error", () => undefined);
  if (client.status !== "ready")
    await new Promise<void>((resolve) => client.once("ready", resolve));
  return {
    input,
    connected: () => client.status === "ready",
    listeners: () => client.listenerCount("ready") + client.listenerCount("error"),
    ping: () => client.ping(),
    close: () => {
      client.disconnect();
      return Promise.resolve();
    },
  };
}

export const ioredis: ClientKind = {
  name: "ioredis",
  connect(url) {
    const client = new IoRedis(url);
    return ioClient(client, client);
  },
};

export const iovalkey: ClientKind = {
  name: "iovalkey",
  connect(url) {
    const client = new Valkey(url);
    return ioClient(client, client);
  },
};

// GLIDE logs every server error (NOSCRIPT included) as a warning.
Logger.init("off");

export const glide: ClientKind = {
  name: "Valkey GLIDE",
  notifies: false,
  async connect(url) {
    const { port } = new URL(url);
    // GLIDE reconnects in the background with backoff; keep it short for the restart tests.
    const client = await GlideClient.createClient({
      addresses: [{ host: "127.0.0.1", port: Number(port) }],
      requestTimeout: 250,
      connectionBackoff: { numberOfRetries: 5, factor: 10, exponentBase: 2 },
    });
    return {
      input: client,
      connected: () =>
        client.ping().then(
          () => true,
          () => false,
        ),
      ping: () => client.ping(),
      close: () => {
        client.close();
        return Promise.resolve();
      },
    };
  },
};
