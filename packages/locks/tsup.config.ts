import { readFile } from "node:fs/promises";
import { defineConfig, type Options } from "tsup";

/**
 * Lua scripts ship inside the bundle as strings: no file lookups at run time. Their comments
 * (the headers naming KEYS/ARGV/returns, the why of each step) stay in the sources; the bundle
 * carries the code alone, and the `--- @include` lines that scripts/index.ts expands.
 */
const luaWithoutComments: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "lua-without-comments",
  setup(build) {
    build.onLoad({ filter: /\.lua$/ }, async ({ path }) => {
      const source = await readFile(path, "utf8");
      const contents = source
        .replace(/--\[\[[\s\S]*?\]\]\n?/g, "")
        .replace(/^[ \t]*--(?!- @include ).*\n/gm, "");
      return { contents, loader: "text" };
    });
  },
};

const common = {
  sourcemap: true,
  target: "node20",
  platform: "node",
  esbuildPlugins: [luaWithoutComments],
} satisfies Options;

// Two builds run side by side: the library, and the `quorum-locks` command (ESM only, its
// shebang kept by tsup, which also makes it executable). The build script empties dist/ first:
// the builds run side by side, so none of them may clean it.
// `quorum-locks/otel` is its own entry: only its users load @opentelemetry/api.
// `quorum-locks/testing` (the in-memory fake Redis, with its Lua interpreter) is another: it
// imports nothing of the library at run time, so the main bundle carries none of it.
const entry = {
  index: "src/index.ts",
  otel: "src/otel/index.ts",
  testing: "src/testing/index.ts",
};

// p-retry (and its own dependency) are ESM only. Required from CommonJS they would go through
// Node's require(esm), which is missing before Node 20.19 and, where present, hands esbuild's
// interop a namespace whose `default` is not the function. The CommonJS build carries its own
// copy instead, so `require("quorum-locks")` works on every Node the package admits.
const esmOnlyDependencies = ["p-retry", "is-network-error"];

export default defineConfig([
  {
    ...common,
    entry,
    format: ["esm"],
    dts: true,
    clean: false,
  },
  {
    ...common,
    entry,
    format: ["cjs"],
    dts: true,
    clean: false,
    noExternal: esmOnlyDependencies,
  },
  {
    ...common,
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    dts: false,
    clean: false,
  },
]);
