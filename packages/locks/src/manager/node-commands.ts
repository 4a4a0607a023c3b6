import type { RedisNode } from "../client/redis-node.js";
import { withTimeout } from "../cache/redis-store.js";

/**
 * Sends one plain command to one node (waiting for its first connection if needed), failing
 * after `timeout` ms so that a paused node cannot hold a caller up. Errors count in the node's
 * statistics like those of lock scripts.
 */
export async function sendToNode(
  node: RedisNode,
  args: readonly string[],
  timeout: number,
): Promise<unknown> {
  const adapter = node.adapter;
  const sent = adapter.connectionSettled
    ? adapter.sendCommand(args)
    : adapter.firstConnection.then(() => adapter.sendCommand(args));
  try {
    return await withTimeout(sent, timeout, `${node.label} timed out`);
  } catch (error) {
    node.errors++;
    throw error;
  }
}

/** Sends a command to every node without waiting; failures only count in statistics. */
export function sendToAll(nodes: readonly RedisNode[], args: readonly string[], timeout: number) {
  for (const node of nodes) sendToNode(node, args, timeout).catch(() => undefined);
}
