import type { LuaScript } from "../scripts/index.js";

/** Receives one node's reply in a round; `index` is the node's position. */
export interface ReplySink {
  reply(index: number, value: unknown): void;
  fail(index: number, error: unknown): void;
}
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
  /** Scripts this connection's server is known to have cached (by SHA). */
  readonly #loaded = new Set<string>();
  #generation: number | undefined = -1;
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
    return new Promise((resolve, reject) => {
      this.dispatch(
        script,
        evalshaArgs,
        now,
        {
          reply: (_, v) => {
            resolve(v);
          },
          fail: (_, e) => {
            reject(e);
          },
        },
        0,
      );
    });
  }

  /** The hot path of a round: like run(), but the reply goes straight to `sink`. */
  dispatch(
    script: LuaScript,
    evalshaArgs: readonly string[],
    now: number,
    sink: ReplySink,
    index: number,
  ): void {
    this.#deliver(this.#send(this.#argsFor(script, evalshaArgs), now), script, sink, index, () => {
      // The server lost its script cache under a live connection: send it in full once.
      this.#deliver(
        this.#send(evalSource(script, evalshaArgs), performance.now()),
        script,
        sink,
        index,
      );
    });
  }

  #deliver(
    sent: Promise<unknown>,
    script: LuaScript,
    sink: ReplySink,
    index: number,
    onNoScript?: () => void,
  ): void {
    sent.then(
      (reply) => {
        this.#answered();
        this.#loaded.add(script.sha);
        sink.reply(index, reply);
      },
      (error: unknown) => {
        this.#answered();
        if (onNoScript !== undefined && isNoScript(error)) {
          this.#loaded.delete(script.sha);
          onNoScript();
        } else {
          this.errors++;
          sink.fail(index, error);
        }
      },
    );
  }

  /**
   * EVALSHA once the script is known to be cached on this connection's server, EVAL (which
   * caches it) until then. Retrying after NOSCRIPT instead would let a rollback sent meanwhile
   * overtake the acquire it undoes; with this, retries happen only if someone flushes the
   * script cache under a live connection.
   */
  #argsFor(script: LuaScript, evalshaArgs: readonly string[]): readonly string[] {
    const generation = this.adapter.generation;
    if (generation !== this.#generation) {
      this.#generation = generation;
      this.#loaded.clear();
    }
    return this.#loaded.has(script.sha) ? evalshaArgs : evalSource(script, evalshaArgs);
  }

  #send(args: readonly string[], now: number): Promise<unknown> {
    if (this.#outstanding === 0) this.#lastProgress = now;
    this.#outstanding++;
    const adapter = this.adapter;
    return adapter.connectionSettled
      ? adapter.sendCommand(args)
      : adapter.firstConnection.then(() => adapter.sendCommand(args));
  }

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

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/** The same call as EVAL with the script's source. */
function evalSource(script: LuaScript, evalshaArgs: readonly string[]): string[] {
  const args = evalshaArgs.slice();
  args[0] = "EVAL";
  args[1] = script.source;
  return args;
}
