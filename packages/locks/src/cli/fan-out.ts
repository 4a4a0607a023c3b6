import type { RedisAdapter } from "../client/adapter.js";
import { createNodes } from "../client/node-inputs.js";
import { withTimeout } from "../client/timeout.js";
import { quorumOf } from "../redlock/validity.js";

/** One node's answer: a value, or why there is none (its message never holds credentials). */
export type NodeAnswer<T> =
  | { readonly node: string; readonly ok: true; readonly value: T }
  | { readonly node: string; readonly ok: false; readonly error: string };

/** A command sender bound to one node; rejects when the node does not answer in time. */
export type Send = (args: readonly string[]) => Promise<unknown>;

/** The nodes given on the command line, for plain commands (no lock is ever taken). */
export class Nodes {
  readonly quorum: number;
  readonly #adapters: readonly RedisAdapter[];
  readonly #timeout: number;
  /** The message of a command that got no answer in time. */
  readonly #late: string;

  /** @throws LockConfigError (with the offending position, never the URL) for a bad URL. */
  constructor(urls: readonly string[], timeout: number) {
    this.#timeout = timeout;
    this.#late = `no answer within ${timeout} ms`;
    this.#adapters = createNodes(urls, { connectTimeout: timeout, onError: ignore });
    this.quorum = quorumOf(urls.length);
  }

  get labels(): string[] {
    return this.#adapters.map((a) => a.label);
  }

  /** Runs `fn` on every node at once; a node that fails or times out gives its error instead. */
  each<T>(fn: (send: Send, index: number) => Promise<T>): Promise<NodeAnswer<T>[]> {
    return Promise.all(
      this.#adapters.map(async (adapter, index): Promise<NodeAnswer<T>> => {
        const node = adapter.label;
        try {
          await adapter.firstConnection;
          const send: Send = (args) =>
            withTimeout(adapter.sendCommand(args), this.#timeout, this.#late);
          return { node, ok: true, value: await fn(send, index) };
        } catch (error) {
          return { node, ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.#adapters.map((a) => a.close()));
  }
}

function ignore(): void {
  // Connection errors surface as the failed command of the node that has them.
}
