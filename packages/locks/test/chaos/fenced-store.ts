import { createHash } from "node:crypto";
import type { createClient } from "redis";
import fencedWriteSource from "./fenced-write.lua";
import type { StoreEntry } from "./records.js";

type Client = ReturnType<typeof createClient>;

const KEYS = ["fenced:largest-token", "fenced:log"];
const SHA = createHash("sha1").update(fencedWriteSource).digest("hex");

/** Writes to the fenced store; true if it accepted the token (see fenced-write.lua). */
export async function fencedWrite(
  client: Client,
  token: bigint | undefined,
  writer: string,
): Promise<boolean> {
  const args = [String(KEYS.length), ...KEYS, token?.toString() ?? "", writer];
  const reply = await client
    .sendCommand(["EVALSHA", SHA, ...args])
    .catch(() => client.sendCommand(["EVAL", fencedWriteSource, ...args]));
  return Number(reply) === 1;
}

/** The store's log, in the order it applied the writes. */
export async function readStoreLog(client: Client): Promise<StoreEntry[]> {
  const lines = await client.lRange(KEYS[1] as string, 0, -1);
  return lines.map((line) => {
    const [accepted = "", token = "", ...writer] = line.split("|");
    return {
      accepted: accepted === "1",
      token: token === "" ? undefined : BigInt(token),
      writer: writer.join("|"),
    };
  });
}
