// Copies each snippet file into the guides that show it: after a line
// `<!-- snippet: path/from/repo/root.ts -->` comes a ```ts block with the file's content.
// `--check` changes nothing and fails when a guide is out of date (the guides' test runs it).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const GUIDES = ["docs/migrating-from-node-redlock.md", "docs/migrating-from-redis-semaphore.md"];
const MARKER = /^<!-- snippet: (\S+) -->\n(?:\n```ts\n[\s\S]*?\n```\n)?/gm;

const check = process.argv.includes("--check");
const stale = [];
for (const guide of GUIDES) {
  const path = join(root, guide);
  const text = readFileSync(path, "utf8");
  const synced = text.replace(MARKER, (_, file) => {
    const code = readFileSync(join(root, file), "utf8").trimEnd();
    return `<!-- snippet: ${file} -->\n\n\`\`\`ts\n${code}\n\`\`\`\n`;
  });
  if (synced === text) continue;
  if (check) stale.push(guide);
  else writeFileSync(path, synced);
}
if (stale.length > 0) {
  console.error(`out of date: ${stale.join(", ")} (run node scripts/sync-snippets.mjs)`);
  process.exit(1);
}
