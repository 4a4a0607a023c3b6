// Commands this library sends that name no key: they may go to any node of a cluster.
const KEYLESS = new Set(["PING", "INFO", "SCAN", "SCRIPT", "CLIENT", "TIME", "DBSIZE", "PUBLISH"]);

/**
 * The first key of a command as this library sends it, for routing on a cluster: after
 * `numkeys` for EVAL/EVALSHA/FCALL, else the first argument; undefined for commands without
 * keys (they may go to any node).
 */
export function firstKey(args: readonly string[]): string | undefined {
  const command = (args[0] ?? "").toUpperCase();
  if (command === "EVAL" || command === "EVALSHA" || command === "FCALL") {
    return Number(args[2]) > 0 ? args[3] : undefined;
  }
  return KEYLESS.has(command) ? undefined : args[1];
}
