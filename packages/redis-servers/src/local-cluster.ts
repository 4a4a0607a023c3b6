import { freePort } from "./ports.js";
import { redisCli, until } from "./redis-cli.js";
import { RedisServer } from "./redis-server.js";

export interface LocalCluster {
  /** The masters, each a redis-server process with its own port, bus port and directory. */
  readonly servers: readonly RedisServer[];
  /** `{ host, port }` of every master, as cluster clients take their root nodes. */
  readonly rootNodes: readonly { readonly host: string; readonly port: number }[];
  stop(): Promise<void>;
}

async function clusterMember(): Promise<RedisServer> {
  // The bus port is chosen too: the default (port + 10000) may be taken or out of range.
  const busPort = await freePort();
  return RedisServer.start({
    args: [
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      "nodes.conf",
      "--cluster-node-timeout",
      "5000",
      "--cluster-port",
      String(busPort),
    ],
  });
}

/**
 * A real Redis Cluster of `masters` masters without replicas on loopback (redis-cli --cluster
 * create), ready when every master reports cluster_state:ok and knows every slot's owner.
 */
export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const servers = await Promise.all(Array.from({ length: masters }, clusterMember));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    await redisCli([
      "--cluster",
      "create",
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const server of servers) {
      const port = String(server.port);
      await until(`cluster on port ${port} not ok`, async () => {
        const info = await redisCli(["-p", port, "cluster", "info"]);
        return info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${masters}`);
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    servers,
    rootNodes: servers.map((s) => ({ host: "127.0.0.1", port: s.port })),
    stop,
  };
}
