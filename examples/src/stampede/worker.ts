// One web server process of the stampede example: REQUESTS concurrent requests for KEY, each
// answered through protectCacheStampede(). The "database" is slow and counts its queries in
// Redis. All processes start their requests together (a barrier in Redis), so the refresh
// really happens while hundreds of requests are waiting. Prints one JSON summary line.
import { createClient } from "redis";
import { LockManager } from "quorum-locks";
import { env } from "../processes.js";

const key = env("KEY");
const nodes = env("NODES").split(",");
const manager = new LockManager({ redisNodes: nodes });
const redis = createClient({ url: nodes[0] ?? "" });
await redis.connect();

async function fetchPrice(): Promise<{ price: number; version: string }> {
  const query = await redis.incr(`${key}:queries`);
  await new Promise((r) => setTimeout(r, 300)); // a slow database
  return { price: 100 + query, version: `fresh (query ${query})` };
}

await redis.incr(`${key}:ready`);
while (Number(await redis.get(`${key}:ready`)) < Number(env("PROCESSES"))) {
  await new Promise((r) => setTimeout(r, 5));
}
const answers = await Promise.all(
  Array.from({ length: Number(env("REQUESTS")) }, () =>
    manager.protectCacheStampede(key, fetchPrice, {
      ttl: 60_000,
      staleTtl: 300_000,
      timeout: 10_000,
      returnStale: env("RETURN_STALE") === "1",
    }),
  ),
);
const versions: Record<string, number> = {};
for (const a of answers) versions[a.version] = (versions[a.version] ?? 0) + 1;
await manager.close(); // lets a background refresh this process runs finish first
console.log(JSON.stringify({ versions, stats: manager.getStatistics().cache }));
redis.destroy();
