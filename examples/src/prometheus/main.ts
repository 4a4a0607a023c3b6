// A LockManager's statistics on a Prometheus /metrics endpoint with prom-client. Nothing is
// copied on the hot path: every metric reads getStatistics() when Prometheus scrapes.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry } from "prom-client";
import { LockManager, type ManagerStatistics } from "quorum-locks";
import { withNodes } from "../nodes.js";

/**
 * Registers the manager's counters and gauges on `registry`. getStatistics() counters only ever
 * grow, so they are Prometheus counters, set to the manager's value at each scrape.
 */
export function registerLockMetrics(manager: LockManager, registry: Registry): void {
  const stats = (): ManagerStatistics => manager.getStatistics();
  const counter = (name: string, help: string, read: (s: ManagerStatistics) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(stats()));
      },
    });
  counter("quorum_locks_acquisitions_total", "Locks obtained", (s) => s.locks.acquisitions);
  counter(
    "quorum_locks_failures_total",
    "Acquisitions failed (not by timeout)",
    (s) => s.locks.failures,
  );
  counter(
    "quorum_locks_timeouts_total",
    "Acquisitions ended by their timeout",
    (s) => s.locks.timeouts,
  );
  counter("quorum_locks_releases_total", "Locks released", (s) => s.locks.releases);
  counter("quorum_locks_extensions_total", "Successful extensions", (s) => s.locks.extensions);
  counter("quorum_locks_lost_total", "Locks a watchdog could not keep", (s) => s.locks.lostLocks);
  counter("quorum_locks_cache_hits_total", "Cache calls answered fresh", (s) => s.cache.hits);
  counter("quorum_locks_cache_misses_total", "Cache calls that waited", (s) => s.cache.misses);

  new Gauge({
    name: "quorum_locks_wait_ms",
    help: "Lock and cache waits since start, by quantile (ms)",
    labelNames: ["quantile"],
    registers: [registry],
    collect() {
      const { waits } = stats();
      this.set({ quantile: "0.5" }, waits.p50);
      this.set({ quantile: "0.95" }, waits.p95);
      this.set({ quantile: "0.99" }, waits.p99);
      this.set({ quantile: "1" }, waits.max);
    },
  });
  new Gauge({
    name: "quorum_locks_node_up",
    help: "1 while the node answers within the command timeout",
    labelNames: ["node"],
    registers: [registry],
    collect() {
      for (const n of stats().nodes) this.set({ node: n.node }, n.responsive ? 1 : 0);
    },
  });
  new Gauge({
    name: "quorum_locks_held_by_name",
    help: "Locks held now through tryLock()",
    registers: [registry],
    collect() {
      this.set(stats().heldByName);
    },
  });
}

/** Serves `registry` on http://127.0.0.1:<free port>/metrics until the returned close(). */
async function serve(registry: Registry): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    void registry.metrics().then((body) => {
      res.writeHead(req.url === "/metrics" ? 200 : 404, { "content-type": registry.contentType });
      res.end(req.url === "/metrics" ? body : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

export async function prometheus(urls: readonly string[]): Promise<boolean> {
  console.log("\n=== Prometheus: getStatistics() on /metrics with prom-client ===");
  const manager = new LockManager({
    redisNodes: [...urls],
    retryDelay: 10,
    retryJitter: 10,
  });
  const registry = new Registry();
  registerLockMetrics(manager, registry);
  const endpoint = await serve(registry);
  try {
    for (let i = 0; i < 3; i++) await manager.withLock(`report:${i}`, () => Promise.resolve());
    await manager.tryLock("held-for-the-scrape");
    const scrape = await (await fetch(endpoint.url)).text();
    const lines = scrape.split("\n").filter((l) => l.startsWith("quorum_locks_"));
    for (const line of lines) console.log(`  ${line}`);
    const ok =
      lines.includes("quorum_locks_acquisitions_total 4") &&
      lines.includes("quorum_locks_releases_total 3") &&
      lines.includes("quorum_locks_held_by_name 1") &&
      lines.filter((l) => l.startsWith("quorum_locks_node_up{") && l.endsWith(" 1")).length ===
        urls.length;
    console.log(ok ? `✓ scraped ${endpoint.url}` : "✗ the scrape did not show the expected values");
    return ok;
  } finally {
    await endpoint.close();
    await manager.close();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => prometheus(urls));
  process.exitCode = ok ? 0 : 1;
}
