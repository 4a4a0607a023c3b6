// Runs every snippet of the migration guides (docs/migrating-from-*.md) against five local
// nodes or REDLOCK_NODES; each throws on a wrong assumption. The guides' snippet test runs it.
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { withNodes } from "../nodes.js";
import { nodeRedlockBasics } from "./node-redlock-basics.js";
import { nodeRedlockUsing } from "./node-redlock-using.js";
import { redisSemaphoreMutex } from "./redis-semaphore-mutex.js";

const snippets = { nodeRedlockBasics, nodeRedlockUsing, redisSemaphoreMutex };

// The snippets keep the restart quarantine on, as a migrating user would: a node counts once it
// has been up for the largest ttl a Redlock asked for (10 s here). Nodes this run (or the guides'
// test) just started are waited on until then, as a deployment waits after a node restarts.
async function waitUntilUp(urls: readonly string[], ms: number): Promise<void> {
  for (const url of urls) {
    const client = await createClient({ url }).connect();
    try {
      for (;;) {
        const info = await client.info("server");
        const uptime = Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1] ?? 0);
        // Uptime has whole seconds; the quarantine judges it a second late.
        if ((uptime - 1) * 1_000 >= ms) break;
        await sleep(250);
      }
    } finally {
      await client.close();
    }
  }
}

await withNodes(async (urls) => {
  await waitUntilUp(urls, 10_000);
  for (const [name, run] of Object.entries(snippets)) {
    await run(urls);
    console.log(`✓ ${name}`);
  }
});
