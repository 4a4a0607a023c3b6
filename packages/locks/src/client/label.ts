/** host:port of a Redis URL, with user and password dropped so that they never reach a message. */
export function labelFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === "rediss:" ? "6380" : "6379");
    return `${parsed.hostname}:${port}`;
  } catch {
    return "invalid-url";
  }
}

/** A label for a client we were handed: from its URL or socket options when it has them. */
export function labelFromOptions(
  options: { url?: string | undefined; socket?: unknown } | undefined,
  fallback: string,
): string {
  if (options?.url !== undefined) return labelFromUrl(options.url);
  const socket = options?.socket as { host?: unknown; port?: unknown; path?: unknown } | undefined;
  if (typeof socket?.path === "string") return socket.path;
  if (socket !== undefined && (socket.host !== undefined || socket.port !== undefined)) {
    const host = typeof socket.host === "string" ? socket.host : "localhost";
    const port = typeof socket.port === "number" ? socket.port : 6379;
    return `${host}:${port}`;
  }
  return fallback;
}

/** host:port (or socket path) of one address as client libraries spell it, if it has one. */
export function hostPort(node: unknown): string | undefined {
  if (typeof node === "string") return node.includes(":") ? node : `${node}:6379`;
  if (typeof node === "number") return `localhost:${node}`;
  if (typeof node !== "object" || node === null) return undefined;
  const { host, port, path } = node as { host?: unknown; port?: unknown; path?: unknown };
  if (typeof path === "string") return path;
  if (host === undefined && port === undefined) return undefined;
  return `${typeof host === "string" ? host : "localhost"}:${typeof port === "number" ? port : 6379}`;
}

/**
 * A label for an ioredis/iovalkey client, from its options (never its password): host:port,
 * `sentinel:<master name>` for a Sentinel-managed client, `cluster:<first startup node>`.
 */
export function labelFromIoRedis(
  client: { options: object; isCluster: boolean },
  fallback: string,
): string {
  if (client.isCluster) {
    const nodes = (client as { startupNodes?: unknown }).startupNodes;
    const first = Array.isArray(nodes) ? hostPort(nodes[0]) : undefined;
    return first === undefined ? fallback : `cluster:${first}`;
  }
  const options = client.options as { sentinels?: unknown; name?: unknown };
  if (Array.isArray(options.sentinels) && options.sentinels.length > 0) {
    return `sentinel:${typeof options.name === "string" ? options.name : "mymaster"}`;
  }
  return hostPort(options) ?? fallback;
}
