import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist");

// The API report (pnpm api:check) shows every change of the public API; this names the
// internals that once leaked through the built declarations, so that they cannot come back.
describe("the built declarations", () => {
  it("declare none of the internal classes, nor members typed with them", () => {
    const files = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const text = readFileSync(join(dist, file), "utf8");
      for (const internal of [
        "internalNodes",
        "class RedisNode",
        "class ChannelHub",
        "QuorumContext",
        "class Watchdog",
        "markLost",
      ]) {
        expect(text, `${file} declares ${internal}`).not.toContain(internal);
      }
    }
  });
});
