import { randomBytes } from "node:crypto";

/** A lock owner's token: 128 random bits from the CSPRNG, hex-encoded. */
export function newToken(): string {
  return randomBytes(16).toString("hex");
}
