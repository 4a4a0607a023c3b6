/** What the client learns from a node's `INFO server` on each (re)connection. */
export interface ServerInfo {
  /** Random id of the server process: a new one means the server restarted. */
  readonly runId: string;
  /** Whole seconds since the server started, by its own clock. */
  readonly uptimeSeconds: number;
}

export const INFO_SERVER: readonly string[] = ["INFO", "server"];

/** Reads run_id and uptime_in_seconds out of an `INFO server` reply; undefined if either is missing. */
export function parseServerInfo(reply: unknown): ServerInfo | undefined {
  const text = typeof reply === "string" ? reply : String(reply);
  const runId = /^run_id:([0-9a-f]+)\r?$/m.exec(text)?.[1];
  const uptime = /^uptime_in_seconds:([0-9]+)\r?$/m.exec(text)?.[1];
  if (runId === undefined || uptime === undefined) return undefined;
  return { runId, uptimeSeconds: Number(uptime) };
}
