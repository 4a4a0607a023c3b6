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
