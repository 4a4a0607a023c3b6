import { afterEach, describe, expect, test } from "vitest";
import {
  LockAcquisitionError,
  type NodeInput,
  type Redlock,
  type RedlockOptions,
} from "../../src/index.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

/** A client of one library, connected to one node, as a caller would create it. */
export interface CallerClient {
  readonly input: NodeInput;
  /** Whether the client currently has a live connection (it noticed a killed node). */
  connected(): boolean | Promise<boolean>;
  /** How many listeners we could have left on the client ('ready' and 'error'), if it has events. */
  listeners?(): number;
  /** One round trip through the client itself (PING). */
  ping(): Promise<unknown>;
  close(): Promise<void>;
}

/** How to make clients of one library. */
export interface ClientKind {
  readonly name: string;
  connect(url: string): Promise<CallerClient>;
  /** Whether a waiter hears releases through pub/sub (else it polls). Default true. */
  readonly notifies?: boolean;
  /**
   * The three nodes the behaviours run against, set up for the test file. Default: three real
   * Redis servers (useNodes(3)); the in-memory fake of quorum-locks/testing brings its own.
   */
  readonly useEnvironment?: () => BehaviourEnvironment;
}

/** What the behaviours do with the nodes themselves: look at their data, pause, kill, restart. */
export interface BehaviourNodes {
  readonly urls: readonly string[];
  settle(key: string, expected: readonly (string | null)[]): Promise<void>;
  inspect(i: number): Promise<{
    get(key: string): Promise<string | null>;
    pTTL(key: string): Promise<number>;
  }>;
  keys(pattern?: string): Promise<string[][]>;
  values(key: string): Promise<(string | null)[]>;
  server(i: number): {
    pause(): Promise<void>;
    resume(): Promise<void>;
    kill(): Promise<void>;
    restart(): Promise<void>;
  };
}

/** The nodes, and Redlocks over them that are quit after each test. */
export interface BehaviourEnvironment {
  readonly nodes: BehaviourNodes;
  redlock(options?: RedlockOptions, inputs?: readonly NodeInput[]): Redlock;
}

/** The core behaviours every client library must show, against three nodes (real servers unless the kind brings its own). */
export function describeBehaviour(kind: ClientKind): void {
  describe(`${kind.name}: core behaviours`, () => {
    const env: BehaviourEnvironment = kind.useEnvironment?.() ?? useNodes(3);
    const clients: CallerClient[] = [];
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    const connectAll = async () => {
      const made = await Promise.all(env.nodes.urls.map((url) => kind.connect(url)));
      clients.push(...made);
      return made;
    };
    const redlockOver = async (options: RedlockOptions = {}) => {
      const made = await connectAll();
      return {
        made,
        redlock: env.redlock(
          options,
          made.map((c) => c.input),
        ),
      };
    };

    test("acquire sets the token on every node, extend renews it, release deletes it", async () => {
      const { redlock } = await redlockOver();
      const lock = await redlock.acquire(["adapter:a", "adapter:b"], 10_000);
      await env.nodes.settle("adapter:a", Array(3).fill(lock.value));
      await env.nodes.settle("adapter:b", Array(3).fill(lock.value));
      await lock.extend(60_000);
      await waitFor(async () => {
        const ttls = await Promise.all(
          [0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).pTTL("adapter:a")),
        );
        return ttls.every((ttl) => ttl > 10_000);
      });
      await lock.release();
      await env.nodes.settle("adapter:a", [null, null, null]);
      await env.nodes.settle("adapter:b", [null, null, null]);
    });

    test("a held lock is refused, with each node's outcome", async () => {
      const { redlock } = await redlockOver();
      const holder = await redlock.acquire("adapter:busy", 10_000);
      const error = await redlock
        .acquire("adapter:busy", 10_000, { retryCount: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquisitionError);
      // Decided as soon as a quorum refused: the third reply may still be pending.
      const held = (error as LockAcquisitionError).nodes.filter((o) => o.status === "held");
      expect(held.length).toBeGreaterThanOrEqual(2);
      await holder.release();
    });

    test(
      kind.notifies === false
        ? "a waiter gets the lock once the holder releases (polling)"
        : "a waiter is told of the release and gets the lock long before the holder's ttl",
      async () => {
        const { redlock: holder } = await redlockOver();
        const { redlock: waiter } = await redlockOver({ retryDelay: 20, retryJitter: 20 });
        const held = await holder.acquire(
          "adapter:wait",
          kind.notifies === false ? 10_000 : 120_000,
        );
        let got = false;
        const waiting = waiter.acquire("adapter:wait", 10_000, { timeout: 60_000 }).then((l) => {
          got = true;
          return l;
        });
        await waitFor(async () => (await env.nodes.keys("adapter:wait")).flat().length === 3);
        expect(got).toBe(false);
        await held.release();
        // Without a notification the waiter would sleep for the holder's remaining ttl (two
        // minutes) and hit its timeout first.
        const lock = await waiting;
        await env.nodes.settle("adapter:wait", Array(3).fill(lock.value));
        await lock.release();
      },
    );

    test("a paused node does not stall acquire, extend or release", async () => {
      const { redlock } = await redlockOver({ retryCount: 0, commandTimeout: 300 });
      await redlock.acquire("adapter:warm", 1_000).then((l) => l.release());
      await env.nodes.server(1).pause();
      const lock = await redlock.acquire("adapter:paused", 10_000);
      await lock.extend(10_000);
      await lock.release();
      await env.nodes.server(1).resume();
      await waitFor(async () =>
        (await env.nodes.values("adapter:paused")).every((v) => v === null),
      );
    });

    test("a killed node fails at once (error, not timeout), and the quorum still locks", async () => {
      const { made, redlock } = await redlockOver({ retryCount: 0, commandTimeout: 20_000 });
      await redlock.acquire("adapter:warm", 1_000).then((l) => l.release());
      // Ttls of 1 s: node 2, restarted empty after the deployment began, is quarantined for
      // the largest ttl recorded, and the last acquisition waits that out.
      await env.nodes.server(0).kill();
      await env.nodes.server(2).kill();
      await waitFor(async () => !(await made[0]?.connected()) && !(await made[2]?.connected()));
      const error = await redlock.acquire("adapter:dead", 1_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockAcquisitionError);
      const statuses = (error as LockAcquisitionError).nodes.map((o) => o.status);
      expect([statuses[0], statuses[2]]).toEqual(["error", "error"]);
      await env.nodes.server(2).restart();
      await waitFor(async () => (await made[2]?.connected()) === true);
      const lock = await redlock.acquire("adapter:two-alive", 10_000, {
        retryCount: 3,
        timeout: 5_000,
      });
      for (const i of [1, 2]) {
        expect(await (await env.nodes.inspect(i)).get("adapter:two-alive")).toBe(lock.value);
      }
      await lock.release();
    });

    test("a node restarted empty gets the scripts again", async () => {
      const { made, redlock } = await redlockOver({ retryCount: 0 });
      await redlock.acquire("adapter:warm", 1_000).then((l) => l.release());
      await env.nodes.server(1).restart();
      await waitFor(async () => (await made[1]?.connected()) === true);
      const lock = await redlock.acquire("adapter:restarted", 10_000);
      await env.nodes.settle("adapter:restarted", Array(3).fill(lock.value));
      await lock.release();
    });

    test("the caller's clients stay open after quit(), with none of our listeners left", async () => {
      const made = await connectAll();
      const before = made.map((c) => c.listeners?.());
      const redlock = env.redlock(
        {},
        made.map((c) => c.input),
      );
      await redlock.acquire("adapter:quit", 10_000).then((l) => l.release());
      await redlock.quit();
      for (const client of made) expect(await client.ping()).toBe("PONG");
      expect(made.map((c) => c.listeners?.())).toEqual(before);
    });
  });
}
