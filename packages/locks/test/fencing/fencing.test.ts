import { describe, expect, test } from "vitest";
import type { Lock } from "../../src/index.js";
import { derivedKey, fairQueueKeys } from "../../src/redlock/keys.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

/** A counter value beyond every clock reading in microseconds (the year 2096). */
const AHEAD = 4_000_000_000_000_000n;

/** Server `i`'s clock (Redis TIME), in microseconds since the epoch. */
async function serverMicros(env: ReturnType<typeof useNodes>, i: number): Promise<bigint> {
  const [seconds, micros] = await (await env.nodes.inspect(i)).sendCommand<string[]>(["TIME"]);
  return BigInt(seconds as string) * 1_000_000n + BigInt(micros as string);
}

/** Fails unless every token is larger than the one before it. */
function expectIncreasing(tokens: readonly (bigint | undefined)[]): void {
  for (let i = 0; i < tokens.length; i++) {
    expect(typeof tokens[i]).toBe("bigint");
    if (i > 0) expect(tokens[i] as bigint).toBeGreaterThan(tokens[i - 1] as bigint);
  }
}

/** Takes `resources` once and hands it back, returning its fencing token. */
async function holdOnce(
  redlock: { acquire(r: string | string[], ttl: number, o?: object): Promise<Lock> },
  resources: string | string[],
): Promise<bigint | undefined> {
  // A short ttl: a node restarted or flushed under the test is quarantined for the largest ttl
  // recorded, which the timeout waits out.
  const lock = await redlock.acquire(resources, 500, { timeout: 5_000 });
  const token = lock.fencingToken;
  await lock.release();
  return token;
}

describe("fencing tokens over 3 nodes", () => {
  const env = useNodes(3);

  test("successive holders get strictly increasing tokens, stored in a counter without expiry", async () => {
    const redlock = env.redlock({ fencing: true });
    const tokens: (bigint | undefined)[] = [];
    for (let i = 0; i < 5; i++) tokens.push(await holdOnce(redlock, "orders:42"));
    expectIncreasing(tokens);
    const fence = derivedKey("orders:42", "fence");
    expect(fence).toBe("{orders:42}:fence");
    const counters = await env.nodes.values(fence);
    // The round is decided on its quorum: at least that many nodes are at the last token.
    expect(counters.filter((c) => c === String(tokens[4])).length).toBeGreaterThanOrEqual(2);
    expect(await (await env.nodes.inspect(0)).pTTL(fence)).toBe(-1);
  });

  test("tokens increase across Redlock instances", async () => {
    const a = env.redlock({ fencing: true });
    const b = env.redlock({ fencing: true });
    const tokens: (bigint | undefined)[] = [];
    for (let i = 0; i < 6; i++) tokens.push(await holdOnce(i % 2 === 0 ? a : b, "shared"));
    expectIncreasing(tokens);
  });

  test("fencing is off by default and per call", async () => {
    const plain = env.redlock();
    const fenced = env.redlock({ fencing: true });
    expect(await holdOnce(plain, "r")).toBeUndefined();
    expect(
      await holdOnce({ acquire: (r, t, o) => fenced.acquire(r, t, { ...o, fencing: false }) }, "r"),
    ).toBeUndefined();
    const token = await holdOnce(
      { acquire: (r, t, o) => plain.acquire(r, t, { ...o, fencing: true }) },
      "r",
    );
    expect(typeof token).toBe("bigint");
    // The unfenced locks left no counter behind.
    expect(await env.nodes.keys()).toEqual([["{r}:fence"], ["{r}:fence"], ["{r}:fence"]]);
  });

  test("a missing counter starts from the servers' clock in microseconds; one ahead counts up", async () => {
    const redlock = env.redlock({ fencing: true });
    const before = await serverMicros(env, 0);
    const first = await holdOnce(redlock, "clocked");
    const after = await serverMicros(env, 0);
    // The servers share this machine's clock: each node's reading lies between, so the largest
    // of the quorum's does too.
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(after);
    // A counter ahead of the clock counts up by one, so nodes whose counters agree hand out
    // one token (no raise round).
    const ahead = derivedKey("ahead", "fence");
    await Promise.all(
      [0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).set(ahead, String(AHEAD))),
    );
    expect([await holdOnce(redlock, "ahead"), await holdOnce(redlock, "ahead")]).toEqual([
      AHEAD + 1n,
      AHEAD + 2n,
    ]);
    await env.nodes.settle(ahead, [String(AHEAD + 2n), String(AHEAD + 2n), String(AHEAD + 2n)]);
    // A counter far behind the clock (left by an earlier version, or restored from an old
    // snapshot) is lifted to the start of the current second.
    const old = derivedKey("old", "fence");
    await Promise.all([0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).set(old, "5")));
    const beforeOld = await serverMicros(env, 0);
    const lifted = await holdOnce(redlock, "old");
    expect(lifted).toBeGreaterThanOrEqual((beforeOld / 1_000_000n) * 1_000_000n);
    expect(lifted).toBeLessThanOrEqual(await serverMicros(env, 0));
  });

  test("a node whose counter lags is raised to the lock's token", async () => {
    const fence = derivedKey("ledger", "fence");
    // Counters ahead of every clock (as a node whose clock ran ahead would leave them): the
    // counter, not the clock, decides the token, and exact values can be checked.
    await (await env.nodes.inspect(0)).set(fence, String(AHEAD));
    await (await env.nodes.inspect(1)).set(fence, String(AHEAD));
    await (await env.nodes.inspect(2)).set(fence, "5"); // it was down when AHEAD was handed out
    await env.nodes.server(1).kill(); // the quorum is now nodes 0 and 2, which disagree
    const redlock = env.redlock({ fencing: true });
    const lock = await redlock.acquire("ledger", 10_000);
    expect(lock.fencingToken).toBe(AHEAD + 1n);
    const [n0, n2] = await Promise.all(
      [0, 2].map(async (i) => (await env.nodes.inspect(i)).get(fence)),
    );
    expect([n0, n2]).toEqual([String(AHEAD + 1n), String(AHEAD + 1n)]);
    await lock.release();
    expect(await holdOnce(redlock, "ledger")).toBe(AHEAD + 2n);
  });

  test("a minority of nodes killed, restarted or flushed between holders", async () => {
    const a = env.redlock({ fencing: true, retryDelay: 20, retryJitter: 20 });
    const b = env.redlock({ fencing: true, retryDelay: 20, retryJitter: 20 });
    const tokens = [await holdOnce(a, "job")];
    for (let i = 0; i < 3; i++) {
      const victim = env.nodes.server(i);
      await victim.kill();
      tokens.push(await holdOnce(b, "job")); // with the node down
      await victim.restart(); // back, empty: its counter is gone
      tokens.push(await holdOnce(a, "job"));
      await (await env.nodes.inspect((i + 1) % 3)).flushAll();
      tokens.push(await holdOnce(b, "job"));
    }
    expectIncreasing(tokens);
  });

  test("a multi-resource lock's token exceeds every earlier token of each of its resources", async () => {
    const redlock = env.redlock({ fencing: true });
    const ab = await holdOnce(redlock, ["a", "b"]);
    const b = await holdOnce(redlock, "b");
    const bc = await holdOnce(redlock, ["b", "c"]);
    const c = await holdOnce(redlock, "c");
    const a = await holdOnce(redlock, "a");
    const ac = await holdOnce(redlock, ["a", "c"]);
    expectIncreasing([ab, b, bc, c]);
    expectIncreasing([ab, a, ac]);
    expectIncreasing([bc, c, ac]);
    // Every counter of a multi-resource lock ends at its token, on the nodes that granted it.
    const counters = await Promise.all(
      ["a", "c"].map((r) => env.nodes.values(derivedKey(r, "fence"))),
    );
    for (let node = 0; node < 3; node++) {
      expect(counters[0]?.[node]).toBe(counters[1]?.[node]);
    }
  });

  test("concurrent contenders: each holder's token is larger than the previous holder's", async () => {
    const tokens: bigint[] = [];
    const contenders = Array.from({ length: 6 }, () =>
      env.redlock({ fencing: true, retryCount: -1, retryDelay: 2, retryJitter: 8 }),
    );
    await Promise.all(
      contenders.map(async (redlock) => {
        for (let i = 0; i < 8; i++) {
          const lock = await redlock.acquire("hot", 5_000, { timeout: 20_000 });
          tokens.push(lock.fencingToken as bigint); // holds never overlap: this is holder order
          await new Promise((r) => setImmediate(r));
          await lock.release();
        }
      }),
    );
    expect(tokens).toHaveLength(48);
    expectIncreasing(tokens);
  });

  test("fair locks hand out tokens too, from the same counter as plain locks", async () => {
    const fair = env.redlock({ fair: true, fencing: true });
    const plain = env.redlock({ fencing: true });
    const perCall = env.redlock({ fair: true });
    const tokens = [
      await holdOnce(fair, "f"),
      await holdOnce(plain, "f"),
      await holdOnce(fair, "f"),
      await holdOnce({ acquire: (r, t, o) => perCall.acquire(r, t, { ...o, fencing: true }) }, "f"),
    ];
    expectIncreasing(tokens);
    expect(await holdOnce(perCall, "f")).toBeUndefined();
    const counters = await env.nodes.values(derivedKey("f", "fence"));
    expect(counters.filter((c) => c === String(tokens[3])).length).toBeGreaterThanOrEqual(2);
  });

  test("a fair lock raises a lagging counter to its token", async () => {
    const fence = derivedKey("queue", "fence");
    await (await env.nodes.inspect(0)).set(fence, String(AHEAD));
    await (await env.nodes.inspect(2)).set(fence, "5");
    await env.nodes.server(1).kill();
    const redlock = env.redlock({ fair: true, fencing: true });
    const lock = await redlock.acquire("queue", 10_000);
    expect(lock.fencingToken).toBe(AHEAD + 1n);
    expect(await (await env.nodes.inspect(2)).get(fence)).toBe(String(AHEAD + 1n));
    await lock.release();
    expect(await holdOnce(redlock, "queue")).toBe(AHEAD + 2n);
  });

  test("a waiting fair lock gets a token larger than the holder's it waited for", async () => {
    const redlock = env.redlock({ fair: true, fencing: true, retryCount: -1 });
    const first = await redlock.acquire("line", 10_000);
    const second = redlock.acquire("line", 10_000, { timeout: 5_000 });
    // Queued on a quorum before the holder lets go, so the grant comes from the queue.
    await waitFor(async () => {
      const queued = await Promise.all(
        [0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).zCard(fairQueueKeys("line")[0])),
      );
      return queued.filter((n) => n === 1).length >= 2;
    });
    await first.release();
    const next = await second;
    expectIncreasing([first.fencingToken, next.fencingToken]);
    await next.release();
  });
});

describe("fencing on one node", () => {
  const env = useNodes(1);

  test("the plain mutex hands out tokens too", async () => {
    const redlock = env.redlock({ fencing: true });
    expectIncreasing([await holdOnce(redlock, "x"), await holdOnce(redlock, "x")]);
  });
});
