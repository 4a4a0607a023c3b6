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

/**
 * `quorum-locks/nestjs` uses the package's main entry, not a copy of it: its LockManager must be
 * the class applications import (it is their injection token), and the decorators it binds must
 * read the same bindings. `quorum-locks/testing` throws the main entry's LockConfigError. Their
 * imports of `../index.js` stay imports of the built main entry.
 */
function mainEntryOutside(format: "esm" | "cjs"): NonNullable<Options["esbuildPlugins"]>[number] {
  return {
    name: "main-entry-outside",
    setup(build) {
      build.onResolve({ filter: /^\.\.\/index\.js$/ }, ({ importer }) =>
        /[\\/]src[\\/](nestjs|testing)[\\/]/.test(importer)
          ? { path: format === "esm" ? "./index.js" : "./index.cjs", external: true }
          : undefined,
      );
    },
  };
}

const common = {
  sourcemap: true,
  target: "node20",
  platform: "node",
  esbuildPlugins: [luaWithoutComments],
} satisfies Options;

// Two builds run side by side: the library, and the `quorum-locks` command (ESM only, its
// shebang kept by tsup, which also makes it executable). The build script empties dist/ first:
// the builds run side by side, so none of them may clean it.
// `quorum-locks/otel` and `quorum-locks/nestjs` are entries of their own: only their users load
// @opentelemetry/api or Nest. `quorum-locks/testing` (the in-memory fake Redis, with its Lua
// interpreter) is another: it imports nothing of the library at run time, so the main bundle
// carries none of it.
const entry = {
  index: "src/index.ts",
  otel: "src/otel/index.ts",
  nestjs: "src/nestjs/index.ts",
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
    esbuildPlugins: [luaWithoutComments, mainEntryOutside("esm")],
  },
  {
    ...common,
    entry,
    format: ["cjs"],
    dts: true,
    clean: false,
    noExternal: esmOnlyDependencies,
    esbuildPlugins: [luaWithoutComments, mainEntryOutside("cjs")],
  },
  {
    ...common,
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    dts: false,
    clean: false,
  },
]);
