import { RedisServer } from "./redis-server.js";

/** The master name the Sentinel started by {@link startLocalSentinel} monitors. */
export const SENTINEL_MASTER_NAME = "quorum-locks-master";

/**
 * A master and one Sentinel (`redis-server --sentinel`, quorum 1) monitoring it, each a
 * redis-server process with its own port and directory.
 */
export async function startLocalSentinel(): Promise<{
  readonly master: RedisServer;
  readonly sentinel: RedisServer;
  stop(): Promise<void>;
}> {
  const master = await RedisServer.start();
  try {
    const sentinel = await RedisServer.start({
      config: `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 1\n`,
      args: ["--sentinel"],
      readyWhen: "+monitor master",
    });
    return {
      master,
      sentinel,
      stop: async () => {
        await Promise.all([sentinel.stop(), master.stop()]);
      },
    };
  } catch (error) {
    await master.stop();
    throw error;
  }
}
