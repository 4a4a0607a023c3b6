import type { RedisAdapter } from "./adapter.js";
import { firstKey } from "./command-keys.js";
import { hostPort } from "./label.js";

/**
 * The part of a Valkey GLIDE client (`GlideClient` or `GlideClusterClient` from
 * `@valkey/valkey-glide`) this library uses. Recognised by shape: GLIDE is not imported.
 */
export interface GlideClient {
  /** `options` is `{ route }` on a cluster client (route by key), else left out. */
  customCommand(args: string[], options?: object): Promise<unknown>;
  /** Closes the client. */
  close(errorMessage?: string): void;
}

export function isGlideClient(value: unknown): value is GlideClient {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as GlideClient).customCommand === "function" &&
    typeof (value as GlideClient).close === "function"
  );
}

// GLIDE words server errors its own way; the node layer knows NOSCRIPT by Redis' prefix.
function normalised(error: unknown): unknown {
  return error instanceof Error && error.message.includes("NoScriptError")
    ? new Error(`NOSCRIPT ${error.message}`)
    : error;
}

/**
 * A caller's GLIDE client. GLIDE connects before its factory resolves, reconnects by itself
 * and times every request out (`requestTimeout`, 250 ms by default), so a dead node fails
 * fast. It has no way to open a second connection with the same settings, so waiters on
 * GLIDE nodes poll instead of hearing releases. Never closed by us.
 */
class GlideAdapter implements RedisAdapter {
  readonly label: string;
  readonly firstConnection = Promise.resolve();
  readonly connectionSettled = true;
  readonly cluster: boolean;
  readonly #client: GlideClient;

  constructor(client: GlideClient, index: number) {
    this.#client = client;
    // Only the cluster client can subscribe to shard channels.
    this.cluster = typeof (client as { ssubscribe?: unknown }).ssubscribe === "function";
    // GLIDE keeps its configuration private; read its first address if it is there.
    const config = (client as { config?: { addresses?: unknown[] } }).config;
    this.label = hostPort(config?.addresses?.[0]) ?? `glide:node-${index}`;
  }

  sendCommand(args: readonly string[]): Promise<unknown> {
    const key = this.cluster ? firstKey(args) : undefined;
    const sent =
      key === undefined
        ? this.#client.customCommand([...args])
        : this.#client.customCommand([...args], { route: { type: "primarySlotKey", key } });
    return sent.catch((error: unknown) => {
      throw normalised(error);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function adaptGlideClient(client: GlideClient, index: number): RedisAdapter {
  return new GlideAdapter(client, index);
}
