// Lets `npm test` and `npm run demo` work on a fresh clone: installs the workspace with pnpm
// (fetched through npx when it is not on the PATH) and rebuilds the library when its sources
// are newer than its build. Each step is skipped when it is already done.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "packages", "locks");
const pnpmVersion = "10.34.9";

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function pnpm(args) {
  const local = join(root, "node_modules", ".bin", "pnpm");
  if (existsSync(local)) run(local, args);
  else if (spawnSync("pnpm", ["--version"], { stdio: "ignore" }).status === 0) run("pnpm", args);
  else run("npx", ["--yes", `pnpm@${pnpmVersion}`, ...args]);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(join(root, "node_modules", ".modules.yaml"))) {
  console.log("quorum-locks: installing the workspace (first run)…");
  pnpm(["install", "--frozen-lockfile"]);
}

if (process.argv.includes("--build")) {
  // The library and the `quorum-locks` command (whose tests run the built file).
  const built = ["index.js", "cli.js"].map((f) => join(pkg, "dist", f));
  const sources = newestMtime(join(pkg, "src"));
  if (built.some((f) => !existsSync(f) || statSync(f).mtimeMs < sources)) {
    console.log("quorum-locks: building the library…");
    pnpm(["--filter", "quorum-locks", "build"]);
  }
}
