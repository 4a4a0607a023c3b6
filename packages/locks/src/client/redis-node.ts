import type { LuaScript } from "../scripts/index.js";
import type { RedisAdapter } from "./adapter.js";
import { ChannelHub } from "./channel-hub.js";

/**
 * One Redlock node: runs scripts by SHA with a NOSCRIPT fallback, and keeps just enough
 * bookkeeping to tell that the node stopped answering (paused, partitioned) without a timer
 * per command: when commands are outstanding and none has been answered for `commandTimeout`
 * ms, the node is unresponsive and acquisitions skip it until it answers again.
 */
export class RedisNode {
  readonly label: string;
  readonly adapter: RedisAdapter;
  /** Pub/sub on this node, over one shared subscriber connection opened on first use. */
  readonly channels: ChannelHub;
  readonly #commandTimeout: number;
  #outstanding = 0;
  #lastProgress = 0;
  /** @internal Commands that failed on this node (NOSCRIPT excluded), for statistics. */
  errors = 0;

  constructor(adapter: RedisAdapter, commandTimeout: number) {
    this.adapter = adapter;
    this.label = adapter.label;
    this.#commandTimeout = commandTimeout;
    this.channels = new ChannelHub(adapter, commandTimeout);
  }

  /** Closes the subscriber connection and, if this library created it, the client. */
  async close(): Promise<void> {
    await Promise.all([this.channels.close(), this.adapter.close()]);
  }

  /** False while this node has left commands unanswered for longer than the command timeout. */
  isResponsive(now: number): boolean {
    return this.#outstanding === 0 || now - this.#lastProgress < this.#commandTimeout;
  }

  /** Commands sent and not yet answered (a growing number means a stalled node). */
  get outstanding(): number {
    return this.#outstanding;
  }

  /**
   * Runs `script` with `evalshaArgs` = ["EVALSHA", sha, numkeys, ...keys, ...argv]. The array is
   * shared by every node of a round and is never modified. A command waiting for the node's
   * first connection counts as unanswered too: a node stuck in its handshake is unresponsive.
   */
  run(script: LuaScript, evalshaArgs: readonly string[], now: number): Promise<unknown> {
    return this.#send(evalshaArgs, now).then(undefined, (error: unknown) => {
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
        // EVAL loads the script into the node's cache, so the next EVALSHA succeeds.
        const args = evalshaArgs.slice();
        args[0] = "EVAL";
        args[1] = script.source;
        return this.#send(args, performance.now());
      }
      throw error;
    });
  }

  #send(args: readonly string[], now: number): Promise<unknown> {
    if (this.#outstanding === 0) this.#lastProgress = now;
    this.#outstanding++;
    const adapter = this.adapter;
    const sent = adapter.connectionSettled
      ? adapter.sendCommand(args)
      : adapter.firstConnection.then(() => adapter.sendCommand(args));
    return sent.then(this.#onReply, this.#onError);
  }

  readonly #onReply = (reply: unknown): unknown => {
    this.#answered();
    return reply;
  };

  readonly #onError = (error: unknown): never => {
    this.#answered();
    if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) this.errors++;
    throw error;
  };

  #answered(): void {
    this.#outstanding--;
    this.#lastProgress = performance.now();
  }
}

/** Builds the EVALSHA argument array for a script call. */
export function evalshaArgs(
  script: LuaScript,
  keys: readonly string[],
  argv: readonly string[],
): string[] {
  const args = new Array<string>(3 + keys.length + argv.length);
  args[0] = "EVALSHA";
  args[1] = script.sha;
  args[2] = String(keys.length);
  let i = 3;
  for (const key of keys) args[i++] = key;
  for (const arg of argv) args[i++] = arg;
  return args;
}
