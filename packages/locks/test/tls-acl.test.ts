import { inspect } from "node:util";
import {
  createTestCertificates,
  type RedisServer as Server,
  RedisServer,
  type TestCertificates,
} from "@quorum-locks/redis-servers";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  LockAcquisitionError,
  LockManager,
  type NodeOutcome,
  Redlock,
  type RedlockOptions,
} from "../src/index.js";
import { waitFor } from "./fixtures/wait.js";

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
function redlock(nodes: ConstructorParameters<typeof Redlock>[0], options?: RedlockOptions) {
  const r = new Redlock(nodes, options);
  closers.push(() => r.quit());
  return r;
}
async function roundTrip(r: Redlock, resource: string): Promise<void> {
  const lock = await r.acquire(resource, 10_000, { retryCount: 0 });
  await lock.extend(10_000);
  await lock.release();
}

describe("TLS (rediss://, a self-signed CA made for the test)", () => {
  let certs: TestCertificates;
  let server: Server;
  beforeAll(async () => {
    certs = createTestCertificates();
    server = await RedisServer.start({ tls: certs });
  });
  afterAll(async () => {
    await server.stop();
    certs.remove();
  });

  test("a rediss:// URL with the CA in clientOptions", async () => {
    expect(server.url).toMatch(/^rediss:\/\//);
    const r = redlock([server.url], { clientOptions: { socket: { tls: true, ca: certs.ca } } });
    await roundTrip(r, "tls-url");
    expect(r.nodes).toEqual([`127.0.0.1:${server.port}`]);
  });

  test("a node-redis client the caller set up for TLS", async () => {
    const client = createClient({ url: server.url, socket: { tls: true, ca: certs.ca } });
    client.on("error", () => undefined);
    await client.connect();
    closers.push(() => client.close());
    const r = redlock([client]);
    await roundTrip(r, "tls-client");
    // Waiting works over TLS too: the second acquisition waits for the first release.
    const first = await r.acquire("tls-wait", 5_000);
    const second = r.acquire("tls-wait", 5_000, { timeout: 4_000 });
    await first.release();
    await (await second).release();
  });

  test("a LockManager with the same clientOptions", async () => {
    const manager = new LockManager({
      redisNodes: [server.url],
      clientOptions: { socket: { tls: true, ca: certs.ca } },
      cache: "memory",
    });
    closers.push(() => manager.close());
    expect(await manager.withLock("tls-manager", () => Promise.resolve("done"))).toBe("done");
    expect((await manager.healthCheck()).healthy).toBe(true);
  });

  test("without the CA the certificate is refused: the acquisition fails, typed", async () => {
    const r = redlock([server.url], { connectTimeout: 1_000 });
    const error = await r
      .acquire("tls-untrusted", 5_000, { retryCount: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).nodes[0]?.status).toBe("error");
    // The node's outcome says why, not merely that the client is offline.
    expect((error as LockAcquisitionError).message).toMatch(/certificate/i);
  });
});

describe("ACL: a user with a password, the default user off", () => {
  const password = "s3cret-Pa55word";
  const wrong = "wr0ng-Pa55word";
  let server: Server;
  beforeAll(async () => {
    server = await RedisServer.start({
      users: ["default off", `app on >${password} ~* &* +@all`],
    });
  });
  afterAll(async () => {
    await server.stop();
  });
  const url = (pw: string) => `redis://app:${pw}@127.0.0.1:${server.port}`;

  /** Every place a password could surface: messages, inspect, labels, outcomes, statistics. */
  function expectNoSecret(values: readonly unknown[]): void {
    for (const value of values) {
      const text =
        typeof value === "string" ? value : `${inspect(value, { depth: 10 })} ${String(value)}`;
      expect(text).not.toContain(password);
      expect(text).not.toContain(wrong);
    }
  }

  test("credentials in the URL, or in clientOptions", async () => {
    const inUrl = redlock([url(password)]);
    await roundTrip(inUrl, "acl-url");
    const inOptions = redlock([server.url], {
      clientOptions: { username: "app", password },
    });
    await roundTrip(inOptions, "acl-options");
    expectNoSecret([inUrl.nodes, inOptions.nodes]);
  });

  test("a wrong password: a typed error that never shows it, anywhere", async () => {
    const nodeErrors: Error[] = [];
    const r = redlock([url(wrong)], { connectTimeout: 1_000 });
    r.on("nodeError", (_node, error) => nodeErrors.push(error));
    const error = await r.acquire("acl-wrong", 5_000, { retryCount: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    const failure = error as LockAcquisitionError;
    expect(failure.nodes[0]).toMatchObject({ status: "error" } satisfies Partial<NodeOutcome>);
    expect(failure.message).toMatch(/WRONGPASS|NOAUTH|auth/i);
    await waitFor(() => nodeErrors.length > 0);
    expectNoSecret([failure, failure.message, failure.stack, failure.nodes, r.nodes, nodeErrors]);
  });

  test("no password at all: the default user is off, the error is typed", async () => {
    const r = redlock([server.url], { connectTimeout: 1_000 });
    const error = await r.acquire("acl-none", 5_000, { retryCount: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    expect((error as LockAcquisitionError).message).toMatch(/NOAUTH|WRONGPASS|auth/i);
  });

  test("a LockManager with a wrong password: errors, statistics and health stay clean", async () => {
    const manager = new LockManager({
      redisNodes: [url(wrong)],
      cache: "memory",
      defaultTimeout: 300,
    });
    closers.push(() => manager.close());
    const error = await manager.getLock("acl-manager").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockAcquisitionError);
    const health = await manager.healthCheck();
    expect(health.healthy).toBe(false);
    expectNoSecret([error, manager.getStatistics(), health, manager.redlock.nodes]);
  });
});
