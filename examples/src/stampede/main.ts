// The Redlock DLM seed's stampede: hundreds of concurrent requests, across several processes,
// for one cache key. First wave: the key is missing; one request in all processes queries the
// database, the others wait and are woken by its write. Second wave: the value has gone stale;
// every request gets the stale value at once (stale-while-revalidate) while one refreshes it.
import { createClient } from "redis";
import { LockManager } from "quorum-locks";
import { withNodes } from "../nodes.js";
import { startProcess } from "../processes.js";

interface Summary {
  readonly versions: Record<string, number>;
  readonly stats: { readonly fetcherRuns: number; readonly staleServed: number };
}

async function wave(
  urls: readonly string[],
  key: string,
  processes: number,
  requests: number,
  stale: boolean,
) {
  const summaries: Summary[] = [];
  await Promise.all(
    Array.from(
      { length: processes },
      (_, p) =>
        startProcess(
          new URL("./worker.ts", import.meta.url),
          {
            KEY: key,
            NODES: urls.join(","),
            PROCESSES: String(processes),
            REQUESTS: String(requests),
            RETURN_STALE: stale ? "1" : "0",
          },
          (line) => {
            const summary = JSON.parse(line) as Summary;
            summaries.push(summary);
            console.log(
              `  process ${p + 1}: ${JSON.stringify(summary.versions)}, fetcher runs ${summary.stats.fetcherRuns}`,
            );
          },
        ).exited,
    ),
  );
  return summaries;
}

export async function stampede(
  urls: readonly string[],
  processes = 4,
  requests = 100,
): Promise<boolean> {
  console.log(
    `\n=== stampede: ${processes} processes × ${requests} concurrent requests for one key ===`,
  );
  const key = "prices:AAPL";
  const redis = createClient({ url: urls[0] ?? "" });
  await redis.connect();
  await redis.del([`cache:${key}`, `${key}:queries`, `${key}:ready`]);

  console.log("wave 1: the key is missing");
  const first = await wave(urls, key, processes, requests, false);
  const queries1 = Number(await redis.get(`${key}:queries`));

  // Age the value: as if its ttl had passed (it stays servable stale).
  const manager = new LockManager({ redisNodes: [...urls] });
  await manager.setCached(
    key,
    { price: 101, version: "stale (query 1)" },
    { ttl: 1, staleTtl: 300_000 },
  );
  await new Promise((r) => setTimeout(r, 10));
  await redis.del(`${key}:ready`);
  console.log("wave 2: the value is stale; requests are served it while one process refreshes");
  const second = await wave(urls, key, processes, requests, true);
  const after = await manager.getCached<{ version: string }>(key);
  const queries2 = Number(await redis.get(`${key}:queries`));
  await manager.close();
  redis.destroy();

  const total = processes * requests;
  const fresh1 = first.reduce((n, s) => n + (s.versions["fresh (query 1)"] ?? 0), 0);
  const stale2 = second.reduce((n, s) => n + (s.versions["stale (query 1)"] ?? 0), 0);
  const fresh2 = second.reduce((n, s) => n + (s.versions["fresh (query 2)"] ?? 0), 0);
  // A request of wave 2 that reads after the refresh landed gets the new value: also right.
  const ok =
    queries1 === 1 &&
    fresh1 === total &&
    stale2 > 0 &&
    stale2 + fresh2 === total &&
    queries2 === 2 &&
    after?.version === "fresh (query 2)";
  console.log(
    ok
      ? `✓ wave 1: ${total} requests, 1 database query; wave 2: ${stale2} answered stale at once while 1 query refreshed it (now "${after.version}")`
      : `✗ wave 1: ${queries1} queries, ${fresh1}/${total} fresh; wave 2: ${stale2}/${total} stale, ${queries2 - queries1} refresh queries, now ${JSON.stringify(after)}`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => stampede(urls, 4, 250));
  process.exitCode = ok ? 0 : 1;
}
