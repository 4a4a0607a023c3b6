import type { CacheStore } from "../cache/store.js";
import type { RedisNode } from "../client/redis-node.js";

/** One node's answer to a health check. */
export interface NodeHealth {
  /** host:port. */
  readonly node: string;
  readonly ok: boolean;
  /** Round trip of the PING, in ms, when it answered. */
  readonly latency?: number;
  /** Why it did not answer. */
  readonly error?: string;
}

/** What `LockManager.healthCheck()` returns. */
export interface HealthReport {
  /** A quorum of nodes answered: locks can be granted. */
  readonly healthy: boolean;
  readonly quorum: number;
  /** How many nodes answered. */
  readonly reachable: number;
  readonly nodes: readonly NodeHealth[];
  /** The cache store: one that can be pinged (a Redis store) is; others report ok. */
  readonly cache: { readonly ok: boolean; readonly error?: string };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function checkHealth(
  nodes: readonly RedisNode[],
  quorum: number,
  store: CacheStore,
  timeout: number,
): Promise<HealthReport> {
  const [answers, cache] = await Promise.all([
    Promise.all(
      nodes.map(async (node): Promise<NodeHealth> => {
        const started = performance.now();
        try {
          await node.command(["PING"], timeout);
          return { node: node.label, ok: true, latency: performance.now() - started };
        } catch (error) {
          return { node: node.label, ok: false, error: message(error) };
        }
      }),
    ),
    store.ping !== undefined
      ? store.ping().then(
          () => ({ ok: true }),
          (error: unknown) => ({ ok: false, error: message(error) }),
        )
      : Promise.resolve({ ok: true }),
  ]);
  const reachable = answers.filter((a) => a.ok).length;
  return { healthy: reachable >= quorum, quorum, reachable, nodes: answers, cache };
}
