import { z } from "zod";
import type { PubSubConnection, RedisAdapter } from "../client/adapter.js";
import type { Clock } from "../redlock/clock.js";
// The library's own LockConfigError: the build keeps this an import of the main entry (as for
// quorum-locks/nestjs), so the class is the one applications catch.
import { LockConfigError } from "../index.js";
import { FakeServer, type Reply, ReplyError, Status } from "./server.js";

/** Options of {@link createFakeRedis}. */
export const fakeRedisOptionsSchema = z.strictObject({
  /**
   * How many independent fake servers to make (the Redlock nodes), each with its own data.
   * A whole number from 1 to 99. Default 1.
   */
  nodes: z.number().int().min(1).max(99).default(1),
  /**
   * The time the fake servers start from, in epoch ms: called on every command, and
   * {@link FakeRedis.advance} adds to it. Pass `() => 0` (or any fixed value) for time that
   * moves only when the test advances it. Default `Date.now` (so timer mocks that replace
   * `Date` move the fake servers' time too).
   */
  clock: z
    .custom<() => number>((v) => typeof v === "function", { error: "must be a function" })
    .optional(),
  /** Shown in each node's label: `fake-redis:<name>-<i>`. Default "node". */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, { error: "must be 1 to 40 letters, digits, '_', '.' or '-'" })
    .default("node"),
});

/** Options of {@link createFakeRedis}: see {@link fakeRedisOptionsSchema} for each field. */
export type FakeRedisOptions = z.input<typeof fakeRedisOptionsSchema>;

/**
 * A fake Redis server in memory, which the library takes as a node (a {@link RedisAdapter}):
 * `new Redlock(fake.nodes)`, `new LockManager({ redisNodes: fake.nodes })`. The library's own
 * Lua scripts run on it through a Lua interpreter; keys expire on the fake clock.
 *
 * The node belongs to the test: closing a Redlock or a LockManager leaves it as it is.
 */
export class FakeNode implements RedisAdapter {
  readonly label: string;
  readonly firstConnection: Promise<void> = Promise.resolve();
  readonly connectionSettled = true;
  readonly #now: () => number;
  #server: FakeServer;
  #generation = 0;
  #state: "up" | "paused" | "down" = "up";
  /** Commands sent while paused: run (or failed) on resume (or kill), in order. */
  #held: (() => void)[] = [];
  readonly #channels = new Map<string, Set<(message: string) => void>>();

  /** @internal Made by {@link createFakeRedis}. */
  constructor(label: string, now: () => number) {
    this.label = label;
    this.#now = now;
    this.#server = this.#newServer();
  }

  #newServer(): FakeServer {
    return new FakeServer({
      now: this.#now,
      publish: (channel, message) => this.#publish(channel, message),
      subscriptions: () =>
        new Map([...this.#channels].map(([c, listeners]) => [c, listeners.size])),
    });
  }

  /** Bumped by restart(): the library sends its scripts again to the new server process. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether the server answers: not after kill(), until restart(); paused counts as up. */
  get up(): boolean {
    return this.#state !== "down";
  }

  /** The run_id the server's INFO reports; a restart() makes another. */
  get runId(): string {
    return this.#server.runId;
  }

  sendCommand(args: readonly string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const run = () => {
        if (this.#state === "down") {
          reject(new Error(`${this.label}: connection refused (the fake server was killed)`));
          return;
        }
        try {
          resolve(plain(this.#server.execute(args)));
        } catch (error) {
          reject(error instanceof ReplyError ? error : new ReplyError(`ERR ${String(error)}`));
        }
      };
      if (this.#state === "paused") this.#held.push(run);
      else run();
    });
  }

  /** The same as sendCommand, for a test's own look at the data: `node.command("PTTL", "k")`. */
  command(...args: string[]): Promise<unknown> {
    return this.sendCommand(args);
  }

  /** Nothing to close: the node belongs to the test, not to the library. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  readonly openSubscriber = (): PubSubConnection => {
    const mine = new Map<string, Set<(message: string) => void>>();
    const remove = (channel: string, listener: (message: string) => void) => {
      mine.get(channel)?.delete(listener);
      const all = this.#channels.get(channel);
      all?.delete(listener);
      if (all?.size === 0) this.#channels.delete(channel);
    };
    return {
      subscribe: (channel, listener) => {
        let listeners = this.#channels.get(channel);
        if (listeners === undefined) this.#channels.set(channel, (listeners = new Set()));
        listeners.add(listener);
        let own = mine.get(channel);
        if (own === undefined) mine.set(channel, (own = new Set()));
        own.add(listener);
        return Promise.resolve();
      },
      unsubscribe: (channel, listener) => {
        remove(channel, listener);
        return Promise.resolve();
      },
      close: () => {
        for (const [channel, listeners] of mine) for (const l of [...listeners]) remove(channel, l);
        return Promise.resolve();
      },
    };
  };

  /** Delivered after the publishing command's reply, as over a separate connection. */
  #publish(channel: string, message: string): number {
    const listeners = [...(this.#channels.get(channel) ?? [])];
    if (listeners.length > 0) {
      queueMicrotask(() => {
        for (const listener of listeners) listener(message);
      });
    }
    return listeners.length;
  }

  /** Stops answering: commands (held ones too) fail at once, as on a refused connection. */
  kill(): void {
    this.#state = "down";
    this.#release();
  }

  /**
   * A new server process: empty (no persistence), with a new run_id and uptime from zero; the
   * library sees a reconnection to a restarted server. Also brings a killed node back.
   */
  restart(): void {
    this.#server = this.#newServer();
    this.#generation++;
    this.#state = "up";
    this.#release();
  }

  /** Holds every command unanswered (a stalled server) until resume() or kill(). */
  pause(): void {
    if (this.#state === "up") this.#state = "paused";
  }

  /** Answers the held commands, in order, and the ones that follow. */
  resume(): void {
    if (this.#state === "paused") this.#state = "up";
    this.#release();
  }

  /** Empties the data (FLUSHALL): the library's markers see a node that lost its data. */
  flushAll(): void {
    this.#server.execute(["FLUSHALL"]);
  }

  #release(): void {
    if (this.#state === "paused") return;
    const held = this.#held;
    this.#held = [];
    for (const run of held) run();
  }
}

/** A reply as a client library hands it over: status replies as plain strings. */
function plain(reply: Reply): unknown {
  if (reply instanceof Status) return reply.text;
  if (Array.isArray(reply)) return reply.map(plain);
  return reply;
}

/** What {@link createFakeRedis} makes. */
export interface FakeRedis {
  /** The fake servers, as Redlock nodes: `new Redlock(fake.nodes)`. */
  readonly nodes: FakeNode[];
  /** The first node, for a single-node setup: `new Redlock([fake.node])`. */
  readonly node: FakeNode;
  /** The fake servers' time, in epoch ms. */
  now(): number;
  /**
   * Moves the fake servers' time forward by `ms` (a finite number >= 0): keys whose ttl runs
   * out in that time are gone, TIME replies (fencing tokens, markers, cache times) move too.
   * Timers of the library (retry delays, the watchdog) keep real time.
   */
  advance(ms: number): void;
  /**
   * The fake time as a Redlock clock: `new Redlock(fake.nodes, { clock: fake.clock })` makes
   * the lock's own validity (isHeld(), remainingTime) follow advance() too.
   */
  readonly clock: Clock;
}

/**
 * Makes fake Redis servers in memory, for unit tests of code that takes locks: a test double,
 * never for production (one process' memory is not a distributed lock).
 */
export function createFakeRedis(options: FakeRedisOptions = {}): FakeRedis {
  const parsed = fakeRedisOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new LockConfigError(
      parsed.error.issues.map((i) => ({
        field: ["options", ...i.path.map(String)].join("."),
        message: i.message,
      })),
    );
  }
  const { nodes: count, name } = parsed.data;
  const base = parsed.data.clock ?? Date.now;
  let offset = 0;
  const now = () => base() + offset;
  const nodes = Array.from(
    { length: count },
    (_, i) => new FakeNode(`fake-redis:${name}-${i}`, now),
  );
  const first = nodes[0];
  if (first === undefined) throw new TypeError("createFakeRedis: no node");
  return {
    nodes,
    node: first,
    now,
    advance(ms: number) {
      if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
        throw new LockConfigError([{ field: "ms", message: "must be a finite number >= 0" }]);
      }
      offset += ms;
    },
    clock: { wall: now, monotonic: now },
  };
}
