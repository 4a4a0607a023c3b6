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
