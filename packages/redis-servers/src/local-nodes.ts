import { RedisServer, type RedisServerOptions } from "./redis-server.js";

export interface LocalNodes {
  readonly servers: readonly RedisServer[];
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

/** Starts `count` independent redis-server processes (no persistence) on free loopback ports. */
export async function startLocalNodes(
  count: number,
  options: RedisServerOptions = {},
): Promise<LocalNodes> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => RedisServer.start(options)),
  );
  return {
    servers,
    urls: servers.map((s) => s.url),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
