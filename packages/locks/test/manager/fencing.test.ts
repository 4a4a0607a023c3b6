import { expect, test } from "vitest";
import { Redlock } from "../../src/index.js";
import { useManagers } from "../fixtures/managers.js";

const env = useManagers(3);

test("getLock and withLock hand out increasing fencing tokens when asked", async () => {
  const manager = env.manager();
  const tokens: (bigint | undefined)[] = [];
  for (let i = 0; i < 3; i++) {
    await using handle = await manager.getLock("account:9", { fencing: true });
    tokens.push(handle.fencingToken);
  }
  await manager.withLock(
    "account:9",
    (handle) => Promise.resolve(tokens.push(handle.fencingToken)),
    {
      fencing: true,
    },
  );
  expect(tokens).toHaveLength(4);
  for (let i = 1; i < tokens.length; i++) {
    expect(tokens[i] as bigint).toBeGreaterThan(tokens[i - 1] as bigint);
  }
  // Without fencing, and on a released handle, there is no token.
  const plain = await manager.getLock("account:9");
  expect(plain.fencingToken).toBeUndefined();
  await plain.release();
  const fenced = await manager.getLock("account:9", { fencing: true });
  await fenced.release();
  expect(fenced.fencingToken).toBeUndefined();
});

test("the manager's fencing option applies to every lock, and a call can turn it off", async () => {
  const manager = env.manager({ fencing: true });
  const first = await manager.getLock("doc");
  const firstToken = first.fencingToken;
  await first.release();
  const second = await manager.getLock("doc");
  expect(second.fencingToken).toBeGreaterThan(firstToken as bigint);
  await second.release();
  const unfenced = await manager.getLock("doc", { fencing: false });
  expect(unfenced.fencingToken).toBeUndefined();
  await unfenced.release();
});

test("using() passes the lock, with its token, to the routine", async () => {
  const redlock = new Redlock(env.nodes.urls, { fencing: true });
  try {
    const token = await redlock.using("batch", 5_000, (_, lock) =>
      Promise.resolve(lock.fencingToken),
    );
    expect(typeof token).toBe("bigint");
  } finally {
    await redlock.quit();
  }
});
