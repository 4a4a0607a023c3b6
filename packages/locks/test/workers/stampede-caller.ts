// One process of the cross-process stampede test: `callers` concurrent protectCacheStampede()
// calls for one key. The fetcher counts its runs in Redis and, so that every process is surely
// waiting while it runs, returns only once all `processes` processes have started their calls.
// Prints one JSON line: the values received and this process's statistics.
import { createClient } from "redis";
import { LockManager } from "../../src/index.js";

const [urls = "", key = "stampede", callersArg = "250", processesArg = "4"] = process.argv.slice(2);
const nodes = urls.split(",");
const manager = new LockManager({
  redisNodes: nodes,
  retryDelay: 10,
  retryJitter: 10,
});
const counter = createClient({ url: nodes[0] ?? "" });
await counter.connect();

async function fetcher(): Promise<{ price: number }> {
  await counter.incr(`${key}:fetcher-runs`);
  while (Number(await counter.get(`${key}:started`)) < Number(processesArg)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return { price: 42 };
}

const calls = Array.from({ length: Number(callersArg) }, () =>
  manager.protectCacheStampede(key, fetcher, { ttl: 60_000, timeout: 20_000 }),
);
await counter.incr(`${key}:started`);
const values = await Promise.all(calls);
process.stdout.write(
  `${JSON.stringify({ ok: values.filter((v) => v.price === 42).length, stats: manager.getStatistics().cache })}\n`,
);
await manager.close();
counter.destroy();
