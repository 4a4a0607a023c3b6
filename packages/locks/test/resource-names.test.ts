import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { LockManager, type Redlock } from "../src/index.js";
import { useNodes, waitFor } from "./fixtures/vitest.js";

// Names that would break a script that built commands from text, or a KEYS/SCAN pattern.
const awkward = [
  "with spaces and\ttabs",
  "line\nbreak\r\n",
  "glob * ? [a-z] \\ ^ !",
  "*",
  "?",
  "[",
  `quotes ' " \``,
  "lua ]] -- [[ end",
  "{hash}tag",
  "}{",
  "{}",
  "{a}{b}",
  "unicode: ключ 鍵 🔒 e\u0301",
  "\u0000nul",
  "x".repeat(10_240),
  "🔒".repeat(2_560),
];

// Any code point, astral ones included. Built once, up front: building it blocks the event
// loop for seconds, long enough for a client's connect timeout to fire.
const anyName = fc.string({ unit: "binary", minLength: 1, maxLength: 64 });

// Keys that must come through untouched, some of them matching the names as glob patterns.
const sentinels: Record<string, string> = {
  "sentinel:a": "1",
  "glob star": "2",
  "{hash}other": "3",
  a: "4",
  b: "5",
};

describe("resource names of any length and content", () => {
  const env = useNodes(3);

  async function seed(): Promise<void> {
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        const c = await env.nodes.inspect(i);
        for (const [k, v] of Object.entries(sentinels)) await c.set(k, v);
      }),
    );
  }

  /** Every node holds the sentinels, unchanged and without expiry, plus exactly `extra`. */
  async function expectOnly(extra: Record<string, string>): Promise<void> {
    const want = { ...sentinels, ...extra };
    const names = Object.keys(want).sort();
    // A round is decided on its quorum: the last node's command may still be in flight.
    await waitFor(async () =>
      (await env.nodes.keys()).every((keys) => keys.join("\0") === names.join("\0")),
    );
    for (const i of [0, 1, 2]) {
      const c = await env.nodes.inspect(i);
      for (const [k, v] of Object.entries(want)) expect(await c.get(k)).toBe(v);
      for (const k of Object.keys(sentinels)) expect(await c.pTTL(k)).toBe(-1);
    }
  }

  async function roundTrip(redlock: Redlock, names: readonly string[], fair = false) {
    const lock = await redlock.acquire(names, 10_000, { retryCount: 0, fair });
    await expectOnly(Object.fromEntries(names.map((n) => [n, lock.value])));
    await lock.extend(20_000);
    // As for the acquire: the extension is counted on its quorum, the last node's may be in flight.
    for (const n of names) {
      await waitFor(async () => {
        const ttls = await Promise.all(
          [0, 1, 2].map(async (i) => (await env.nodes.inspect(i)).pTTL(n)),
        );
        return ttls.every((t) => t > 10_000);
      });
    }
    await lock.release();
    for (const n of names) await env.nodes.settle(n, [null, null, null]);
    await expectOnly({});
  }

  test.each(awkward.map((n) => [n.length > 40 ? `${n.slice(0, 20)}… (${n.length})` : n, n]))(
    "%j: acquire, extend and release touch that key alone",
    async (_label, name) => {
      await seed();
      await roundTrip(env.redlock(), [name]);
    },
  );

  test("all of them in one lock, and each as a fair lock", async () => {
    await seed();
    const redlock = env.redlock();
    await roundTrip(redlock, awkward);
    for (const name of awkward.slice(0, 6)) await roundTrip(redlock, [name], true);
  });

  test("any well-formed string (fast-check)", async () => {
    await seed();
    const redlock = env.redlock();
    await fc.assert(
      fc.asyncProperty(anyName, async (name) => {
        fc.pre(!(name in sentinels));
        await roundTrip(redlock, [name]);
      }),
      { numRuns: 40 },
    );
  });

  test("a LockManager name goes under its prefix and nowhere else", async () => {
    await seed();
    const manager = new LockManager({
      redisNodes: env.nodes.urls,
      recordLockInfo: false,
    });
    try {
      for (const name of awkward) {
        const handle = await manager.getLock(name, { timeout: 0 });
        expect(handle.hasLock()).toBe(true);
        await expectOnly({ [`lock:${name}`]: handle.value ?? "" });
        await handle.release();
        await env.nodes.settle(`lock:${name}`, [null, null, null]);
      }
      await expectOnly({});
    } finally {
      await manager.close();
    }
  });
});
