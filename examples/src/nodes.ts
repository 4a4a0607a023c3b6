import { startLocalNodes } from "@quorum-locks/redis-servers";

/**
 * The Redis nodes an example runs against: REDLOCK_NODES (comma-separated URLs) when set,
 * otherwise five local redis-server processes started for the example and stopped after it.
 */
export async function withNodes<T>(run: (urls: string[]) => Promise<T>): Promise<T> {
  const configured = process.env["REDLOCK_NODES"];
  if (configured !== undefined && configured.trim() !== "") {
    const urls = configured
      .split(",")
      .map((u) => u.trim())
      .filter((u) => u !== "");
    console.log(`nodes: ${urls.length} from REDLOCK_NODES`);
    return run(urls);
  }
  const nodes = await startLocalNodes(5);
  // Read by quarantineOptions(), here and in the worker processes (they inherit the environment).
  process.env[FRESH] = "1";
  console.log(
    `nodes: started 5 local redis-server processes on ${nodes.servers.map((s) => s.port).join(", ")} (set REDLOCK_NODES to use your own)`,
  );
  try {
    return await run([...nodes.urls]);
  } finally {
    await nodes.stop();
    console.log("nodes: stopped");
  }
}

const FRESH = "EXAMPLE_NODES_STARTED_HERE";

/**
 * Lock options for the example's nodes. Nodes this example started a moment ago held no locks
 * before, so the restart quarantine (which would keep a just-started node out for the largest
 * ttl used) is turned off for them; your own nodes (REDLOCK_NODES) keep it, as production should.
 */
export function quarantineOptions(): { restartQuarantine?: number } {
  return process.env[FRESH] === "1" ? { restartQuarantine: 0 } : {};
}
