import { evalSource, type LuaScript, scripts } from "../scripts/index.js";
import { INFO_SERVER, parseServerInfo } from "./server-info.js";
import { withTimeout } from "./timeout.js";

/** Receives one node's reply in a round; `index` is the node's position. */
export interface ReplySink {
  /** `replicas`: with a WAIT sent behind the script, how many replicas acknowledged. */
  reply(index: number, value: unknown, replicas?: number): void;
  fail(index: number, error: unknown): void;
}
import type { RedisAdapter } from "./adapter.js";
import { ChannelHub } from "./channel-hub.js";

/** A node's change between answering and not answering. */
export type NodeStatusChange =
  | { readonly up: false; readonly reason: "unresponsive" | "error"; readonly error?: Error }
  | { readonly up: true; readonly downFor: number };

/** Told of each change, and only of changes. */
export type NodeStatusListener = (node: RedisNode, change: NodeStatusChange) => void;

/** How a node watches for server restarts (for the restart quarantine). */
export interface RestartWatch {
  /** Monotonic ms on the clock `upSince` is measured on. */
  monotonic(): number;
  /** A reconnection found another server process (a new run_id) than the last one. */
  onRestart(node: RedisNode, runId: string): void;
  /** INFO could not be read (an ACL without +info, ...): the node counts as long up. */
  onInfoError(node: RedisNode, error: unknown): void;
  /**
   * The key of the node's marker (scripts/marker-open.lua), checked against the server's run_id
   * on each new connection; undefined when the quarantine is off.
   */
  readonly marker: string | undefined;
  /** The marker records this largest ttl (the quarantine follows it). */
  onRecordedTtl(ttl: number): void;
}

/**
 * One Redlock node: runs scripts by SHA with a NOSCRIPT fallback, and keeps just enough
 * bookkeeping to tell that the node stopped answering (paused, partitioned) without a timer
 * per command: when commands are outstanding and none has been answered for `commandTimeout`
 * ms, the node is unresponsive and acquisitions skip it until it answers again.
 *
 * With a {@link RestartWatch}, every new connection first asks the server `INFO server`, so that
 * `upSince` tells how long the server process behind this connection has been up. The INFO is
 * sent ahead of the connection's first script, and replies on that connection are held back
 * until it is read: a vote is never judged on the previous server's uptime.
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
  /**
   * Scripts sent in full (EVAL) on this connection and not answered yet. A server runs one
   * connection's commands in order, so an EVALSHA sent behind that EVAL finds the script
   * cached: thousands of acquisitions started in one tick send the source once, not once each
   * (a 2 KB script 10,000 × 5 times is 100 MB the nodes must parse before anything else).
   */
  readonly #sending = new Set<string>();
  #generation: number | undefined = -1;
  readonly #onStatus: NodeStatusListener | undefined;
  /** When the node was last seen down (monotonic ms); undefined while it is up. */
  #downSince: number | undefined;
  /** @internal Commands that failed on this node (NOSCRIPT excluded), for statistics. */
  errors = 0;
  /**
   * Monotonic ms (on the watch's clock) since when the server is surely up, judged late:
   * uptime has whole-second resolution. -Infinity while unknown or not watched.
   */
  upSince = -Infinity;
  /** The server process' run_id, once read. */
  runId: string | undefined;
  /**
   * Monotonic ms since when this client distrusts the node's data: the node's marker was
   * written by another server process (a replica that took over, a snapshot reloaded). A new
   * process without the old data needs no distrust: its marker is young. -Infinity when never.
   */
  distrustedSince = -Infinity;
  /**
   * The id of the node's marker, once a round judged it part of a fresh deployment; undefined
   * while not. See Round's #sameMarker.
   */
  freshMarker: string | undefined;
  readonly #restarts: RestartWatch | undefined;
  /** The INFO of the current connection, until it is read. */
  #info: Promise<void> | undefined;

  constructor(
    adapter: RedisAdapter,
    commandTimeout: number,
    onStatus?: NodeStatusListener,
    restarts?: RestartWatch,
  ) {
    this.adapter = adapter;
    this.label = adapter.label;
    this.#commandTimeout = commandTimeout;
    this.#onStatus = onStatus;
    this.#restarts = restarts;
    this.channels = new ChannelHub(adapter, commandTimeout);
  }

  /** Closes the subscriber connection and, if this library created it, the client. */
  async close(): Promise<void> {
    await Promise.all([this.channels.close(), this.adapter.close()]);
  }

  /** False while this node has left commands unanswered for longer than the command timeout. */
  isResponsive(now: number): boolean {
    if (this.#outstanding === 0 || now - this.#lastProgress < this.#commandTimeout) return true;
    this.markDown("unresponsive");
    return false;
  }

  /**
   * Records that the node stopped answering: a command or its connection failed, or commands
   * went unanswered for the command timeout. The listener hears only the first of a series.
   */
  markDown(reason: "unresponsive" | "error", error?: Error): void {
    if (this.#downSince !== undefined) return;
    this.#downSince = performance.now();
    this.#onStatus?.(
      this,
      error === undefined ? { up: false, reason } : { up: false, reason, error },
    );
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

  /**
   * The hot path of a round: like run(), but the reply goes straight to `sink`. With `wait`
   * (["WAIT", replicas, timeout]), the WAIT is sent right behind the script on the same
   * connection, pipelined (no extra round trip): it counts the replicas that acknowledged every
   * write of this connection so far, so the script's ones. The sink hears the script's reply
   * once both are in, with that count.
   */
  dispatch(
    script: LuaScript,
    evalshaArgs: readonly string[],
    now: number,
    sink: ReplySink,
    index: number,
    wait?: readonly string[],
  ): void {
    const cached = this.#cached(script, now);
    const args = cached === "no" ? evalSource(script, evalshaArgs) : evalshaArgs;
    // Behind an EVAL that failed (it cached nothing): this vote fails, and is not sent again,
    // which could let a rollback sent meanwhile overtake it.
    const retry = cached !== "behind";
    if (wait !== undefined) {
      this.#dispatchReplicated(script, args, evalshaArgs, now, sink, index, wait, retry);
      return;
    }
    let sent = this.#send(args, now);
    if (this.#info !== undefined) sent = afterInfo(this.#info, sent);
    if (!retry) {
      this.#deliver(sent, script, sink, index);
      return;
    }
    this.#deliver(sent, script, sink, index, () => {
      // The server lost its script cache under a live connection: send it in full once.
      this.#deliver(
        this.#send(evalSource(script, evalshaArgs), performance.now()),
        script,
        sink,
        index,
      );
    });
  }

  /** dispatch() with a WAIT behind the script; `retry`: a NOSCRIPT may send it all again. */
  #dispatchReplicated(
    script: LuaScript,
    args: readonly string[],
    evalshaArgs: readonly string[],
    now: number,
    sink: ReplySink,
    index: number,
    wait: readonly string[],
    retry: boolean,
  ): void {
    // Both sent in this same tick, one behind the other: the clients write them together.
    let sent = this.#send(args, now);
    const waited = this.#send(wait, now);
    if (this.#info !== undefined) sent = afterInfo(this.#info, sent);
    // Never rejects: an error comes back as the value, judged after the script's reply.
    const acked = waited.then(
      (reply) => {
        this.#answered();
        return reply;
      },
      (error: unknown) => {
        this.#answered();
        return error instanceof Error ? error : new Error(String(error));
      },
    );
    sent.then(
      (reply) => {
        this.#answered();
        if (this.#downSince !== undefined) this.#markUp();
        this.#loaded.add(script.sha);
        this.#sending.delete(script.sha);
        void acked.then((replicas) => {
          if (typeof replicas === "number") {
            sink.reply(index, reply, replicas);
          } else {
            this.errors++;
            const message = replicas instanceof Error ? replicas.message : unexpected(replicas);
            sink.fail(index, new Error(`WAIT for replicas failed: ${message}`));
          }
        });
      },
      (error: unknown) => {
        this.#answered();
        this.#sending.delete(script.sha);
        if (retry && isNoScript(error)) {
          // The WAIT behind it confirmed nothing of ours: send the script in full, and WAIT again.
          this.#loaded.delete(script.sha);
          this.#dispatchReplicated(
            script,
            evalSource(script, evalshaArgs),
            evalshaArgs,
            performance.now(),
            sink,
            index,
            wait,
            false,
          );
        } else if (isNoScript(error)) {
          sink.fail(index, error);
        } else {
          this.errors++;
          this.markDown("error", error instanceof Error ? error : new Error(String(error)));
          sink.fail(index, error);
        }
      },
    );
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
        if (this.#downSince !== undefined) this.#markUp();
        this.#loaded.add(script.sha);
        this.#sending.delete(script.sha);
        sink.reply(index, reply);
      },
      (error: unknown) => {
        this.#answered();
        this.#sending.delete(script.sha);
        if (isNoScript(error)) {
          this.#loaded.delete(script.sha);
          // A NOSCRIPT says nothing about the node's health.
          if (onNoScript !== undefined) onNoScript();
          else sink.fail(index, error);
        } else {
          this.errors++;
          this.markDown("error", error instanceof Error ? error : new Error(String(error)));
          sink.fail(index, error);
        }
      },
    );
  }

  /**
   * Whether this connection's server has `script` cached: `"yes"` (a reply came back),
   * `"behind"` (an EVAL of it is in flight on this connection: an EVALSHA now runs after it), or
   * `"no"` (send it in full; EVAL caches it). Retrying after NOSCRIPT instead of this would let
   * a rollback sent meanwhile overtake the acquire it undoes; with it, retries happen only if
   * someone flushes the script cache under a live connection. A cluster client routes each
   * command to its keys' shard, whose cache the EVAL may not have reached: never "behind".
   */
  #cached(script: LuaScript, now: number): "yes" | "behind" | "no" {
    const generation = this.adapter.generation;
    if (generation !== this.#generation) {
      this.#generation = generation;
      this.#loaded.clear();
      this.#sending.clear();
      if (this.#restarts !== undefined) this.#readInfo(this.#restarts, now);
    }
    if (this.#loaded.has(script.sha)) return "yes";
    if (this.#sending.has(script.sha)) return "behind";
    if (this.adapter.cluster !== true) this.#sending.add(script.sha);
    return "no";
  }

  /**
   * Sends `INFO server` on the new connection and learns the server's uptime and run_id; then,
   * with the quarantine on, checks the node's marker against that run_id (marker-check.lua).
   * Replies on this connection are held back until both are read.
   */
  #readInfo(watch: RestartWatch, now: number): void {
    const info: Promise<void> = this.#send(INFO_SERVER, now)
      .then(
        (reply) => {
          this.#answered();
          const server = parseServerInfo(reply);
          if (server === undefined) {
            watch.onInfoError(this, new Error("INFO server has no run_id or uptime_in_seconds"));
            return undefined;
          }
          // uptime_in_seconds is a difference of whole seconds of the server's clock: the
          // server may have started up to a second later than it says.
          const up = Math.max(0, server.uptimeSeconds - 1) * 1_000;
          const at = watch.monotonic();
          this.upSince = at - up;
          const previous = this.runId;
          this.runId = server.runId;
          const restarted = previous !== undefined && previous !== server.runId;
          if (restarted) watch.onRestart(this, server.runId);
          // An empty new process has no marker (the acquire scripts make a young one); one that
          // came with old data is told by the marker's owner.
          if (watch.marker !== undefined && this.adapter.cluster !== true) {
            return this.#checkMarker(watch, watch.marker, server.runId, !restarted);
          }
          return undefined;
        },
        (error: unknown) => {
          this.#answered();
          watch.onInfoError(this, error);
        },
      )
      .finally(() => {
        if (this.#info === info) this.#info = undefined;
      });
    this.#info = info;
  }

  /**
   * marker-check.lua: a marker written by another server process is made young again, and the
   * node distrusted for the quarantine from now: the acquire scripts sent behind the INFO ran
   * before this check, on the old marker.
   */
  #checkMarker(
    watch: RestartWatch,
    marker: string,
    runId: string,
    announce: boolean,
  ): Promise<void> {
    const { markerCheck } = scripts;
    const args = markerCheck.encode({ marker, runId });
    return this.#send(evalSource(markerCheck, args), performance.now()).then(
      (reply) => {
        this.#answered();
        const { reset, recorded } = markerCheck.decode(reply);
        if (recorded !== undefined) watch.onRecordedTtl(recorded);
        if (reset) {
          this.distrustedSince = watch.monotonic();
          if (announce) watch.onRestart(this, runId);
        }
      },
      (error: unknown) => {
        this.#answered();
        watch.onInfoError(this, error);
      },
    );
  }

  /**
   * Sends one plain command (lock info, health checks, the cache store's), failing after
   * `timeout` ms with "`what` timed out" so that a paused node cannot hold its caller up. Errors
   * count in `errors` like those of scripts; the command is not counted as outstanding, so that
   * a side command to a slow node does not make acquisitions skip it.
   */
  async command(
    args: readonly string[],
    timeout: number,
    what: string = this.label,
  ): Promise<unknown> {
    try {
      return await withTimeout(this.#sendSettled(args), timeout, `${what} timed out`);
    } catch (error) {
      this.errors++;
      throw error;
    }
  }

  /**
   * Sends plain commands, best effort, that nobody waits for (lock info written and deleted for
   * many locks at once). No timer: with no caller to hold up, a timeout would only cost a timer
   * per command; a paused node's replies come when it resumes, or its connection fails them.
   * Failures count in `errors`, like those of command().
   */
  sendBestEffort(batch: readonly (readonly string[])[]): void {
    for (const args of batch) {
      this.#sendSettled(args).catch(() => {
        this.errors++;
      });
    }
  }

  #send(args: readonly string[], now: number): Promise<unknown> {
    if (this.#outstanding === 0) this.#lastProgress = now;
    this.#outstanding++;
    return this.#sendSettled(args);
  }

  /** Sends `args` once the first connection attempt has settled (at once, on the hot path). */
  #sendSettled(args: readonly string[]): Promise<unknown> {
    const adapter = this.adapter;
    return adapter.connectionSettled
      ? adapter.sendCommand(args)
      : adapter.firstConnection.then(() => adapter.sendCommand(args));
  }

  #markUp(): void {
    const downFor = performance.now() - (this.#downSince as number);
    this.#downSince = undefined;
    this.#onStatus?.(this, { up: true, downFor });
  }

  #answered(): void {
    this.#outstanding--;
    this.#lastProgress = performance.now();
  }
}

/** `sent`'s outcome, once `info` (which never rejects) is read as well. */
function afterInfo(info: Promise<void>, sent: Promise<unknown>): Promise<unknown> {
  return Promise.all([info, sent]).then(secondOf);
}

function secondOf(pair: readonly unknown[]): unknown {
  return pair[1];
}

function unexpected(reply: unknown): string {
  return `unexpected reply ${typeof reply === "string" ? JSON.stringify(reply) : typeof reply}`;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
