import { randomFillSync } from "node:crypto";

const TOKEN_BYTES = 16;
const pool = Buffer.allocUnsafe(TOKEN_BYTES * 256);
let offset = pool.length;

/**
 * A lock owner's token: 128 random bits from the CSPRNG, hex-encoded. Bytes are drawn 4 KiB at
 * a time (as Node does for randomUUID) and each slice is used once.
 */
export function newToken(): string {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString("hex", offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}
