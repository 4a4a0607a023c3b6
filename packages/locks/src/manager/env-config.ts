import type { NodeInput } from "../client/node-inputs.js";
import { LockConfigError } from "../errors/index.js";

/**
 * The Redis nodes named by the environment, for the default manager: REDLOCK_NODES
 * (comma-separated URLs), else REDIS_URL, else REDIS_HOST with REDIS_PORT (default 6379) and
 * REDIS_PASSWORD. The password goes into client options, never into a URL or a message.
 */
export function nodesFromEnv(env: NodeJS.ProcessEnv = process.env): NodeInput[] {
  const list = env["REDLOCK_NODES"]?.trim();
  if (list !== undefined && list !== "") {
    return list
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== "");
  }
  const url = env["REDIS_URL"]?.trim();
  if (url !== undefined && url !== "") return [url];
  const host = env["REDIS_HOST"]?.trim();
  if (host !== undefined && host !== "") {
    const portText = env["REDIS_PORT"]?.trim() ?? "";
    const port = portText === "" ? 6379 : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new LockConfigError([
        { field: "REDIS_PORT", message: "must be a port number (1-65535)" },
      ]);
    }
    const password = env["REDIS_PASSWORD"];
    return [
      {
        socket: { host, port },
        ...(password === undefined || password === "" ? {} : { password }),
      },
    ];
  }
  throw new LockConfigError([
    {
      field: "redisNodes",
      message:
        "no Redis configured: call configureLocks({ redisNodes }) or set REDLOCK_NODES, REDIS_URL or REDIS_HOST",
    },
  ]);
}

/**
 * The default manager's restart quarantine from REDLOCK_RESTART_QUARANTINE (ms; 0 turns it
 * off); unset or empty keeps the default (the largest ttl used).
 */
export function quarantineFromEnv(env: NodeJS.ProcessEnv = process.env): {
  restartQuarantine?: number;
} {
  const text = env["REDLOCK_RESTART_QUARANTINE"]?.trim() ?? "";
  if (text === "") return {};
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new LockConfigError([
      {
        field: "REDLOCK_RESTART_QUARANTINE",
        message: "must be a whole number of milliseconds, 0 or more",
      },
    ]);
  }
  return { restartQuarantine: ms };
}
