import { describe, expect, test } from "vitest";
import type { Lock, Redlock } from "../../src/index.js";
import { derivedKey } from "../../src/redlock/keys.js";
import { useNodes, waitFor } from "../fixtures/vitest.js";

/** One token, with what happened just before it, so that a failure names the step. */
interface Step {
  readonly what: string;
  readonly token: bigint | undefined;
}

/** Fails unless every step's token is a bigint larger than the one before it. */
function expectIncreasing(steps: readonly Step[]): void {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as Step;
    expect(typeof step.token, step.what).toBe("bigint");
    if (i === 0) continue;
    const previous = steps[i - 1] as Step;
    expect(step.token as bigint, `${step.what}, after ${previous.what}`).toBeGreaterThan(
      previous.token as bigint,
    );
  }
}

/** Takes `resources` once and hands it back, returning its fencing token. */
async function holdOnce(
  redlock: Redlock,
  resources: string | string[],
  fair = false,
): Promise<bigint | undefined> {
  // A short ttl: a node restarted or flushed under the test is quarantined for the largest ttl
  // recorded, which the timeout waits out.
  const lock: Lock = await redlock.acquire(resources, 500, { timeout: 10_000, fair });
  const token = lock.fencingToken;
  await lock.release();
  return token;
}

// Every node loses its counters here (restarted empty, or flushed): only the servers' clocks
// are left to keep tokens growing. Earlier versions handed out 4, 5 and then 4 again.
describe("fencing tokens across data loss on every node (3 nodes)", () => {
  const env = useNodes(3);
  const ALL = [0, 1, 2];

  const restart = (indexes: readonly number[]) =>
    Promise.all(indexes.map((i) => env.nodes.server(i).restart()));
  const flushAll = () => Promise.all(ALL.map(async (i) => (await env.nodes.inspect(i)).flushAll()));

  /** Server `i`'s clock (Redis TIME), in microseconds since the epoch. */
  async function serverMicros(i: number): Promise<bigint> {
    const [s, us] = await (await env.nodes.inspect(i)).sendCommand<string[]>(["TIME"]);
    return BigInt(s as string) * 1_000_000n + BigInt(us as string);
  }

  /** Checks that a step really lost the counter where it meant to, so the test proves something. */
  async function expectLost(resource: string, indexes: readonly number[]): Promise<void> {
    const counters = await env.nodes.values(derivedKey(resource, "fence"));
    for (const i of indexes) expect(counters[i], `counter on node ${i}`).toBeNull();
  }

  test("plain and fair locks on one resource: restarts, FLUSHALL, a minority restart", async () => {
    const redlock = env.redlock({ fencing: true, retryDelay: 20, retryJitter: 20 });
    const steps: Step[] = [];
    const take = async (what: string, fair = false) =>
      steps.push({ what, token: await holdOnce(redlock, "seq", fair) });

    await take("first plain");
    // What a snapshot taken now would bring back later.
    const fence = derivedKey("seq", "fence");
    const snapshot = await env.nodes.values(fence);
    await take("second plain");
    await take("first fair", true);
    await restart(ALL);
    await expectLost("seq", ALL);
    await take("plain after every node restarted");
    await take("plain again");
    await flushAll();
    await expectLost("seq", ALL);
    await take("fair after FLUSHALL everywhere", true);
    await restart([1]);
    await expectLost("seq", [1]);
    await take("plain after a minority restart");
    await restart(ALL);
    await take("fair after every node restarted again", true);
    await flushAll();
    await take("plain after FLUSHALL again");
    // Every node back with the older counters, as from an RDB snapshot after a crash: they
    // exist, so they count up, and are lifted to the clock's second once it has passed the last
    // token (the clock is waited on here; a real crash and reload takes that long anyway).
    await Promise.all(
      ALL.map(async (i) => (await env.nodes.inspect(i)).set(fence, snapshot[i] ?? "1")),
    );
    const last = steps.at(-1)?.token as bigint;
    await waitFor(async () => ((await serverMicros(0)) / 1_000_000n) * 1_000_000n > last, {
      timeoutMs: 3_000,
    });
    await take("plain after every node came back with older counters");
    expectIncreasing(steps);
  });

  test("a multi-resource lock's counters, all lost together", async () => {
    const redlock = env.redlock({ fencing: true, retryDelay: 20, retryJitter: 20 });
    const ab = await holdOnce(redlock, ["a", "b"]);
    const b = await holdOnce(redlock, "b");
    await restart(ALL);
    await expectLost("a", ALL);
    await expectLost("b", ALL);
    const a = await holdOnce(redlock, "a");
    const bc = await holdOnce(redlock, ["b", "c"]);
    await flushAll();
    const ac = await holdOnce(redlock, ["a", "c"]);
    const c = await holdOnce(redlock, "c");
    expectIncreasing([
      { what: "[a, b]", token: ab },
      { what: "b", token: b },
      { what: "[b, c] after every node restarted", token: bc },
      { what: "[a, c] after FLUSHALL", token: ac },
      { what: "c", token: c },
    ]);
    expectIncreasing([
      { what: "[a, b]", token: ab },
      { what: "a after every node restarted", token: a },
      { what: "[a, c] after FLUSHALL", token: ac },
    ]);
    // The lock on [a, c] left a's counter at its token on the quorum that granted it.
    const counterA = await env.nodes.values(derivedKey("a", "fence"));
    expect(counterA.filter((v) => v === String(ac)).length).toBeGreaterThanOrEqual(2);
  });
});
