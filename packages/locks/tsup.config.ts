import { defineConfig } from "tsup";

const common = {
  sourcemap: true,
  target: "node20",
  platform: "node",
  // Lua scripts ship inside the bundle as strings: no file lookups at run time.
  loader: { ".lua": "text" },
} as const;

// Two builds run side by side: the library, and the `quorum-locks` command (ESM only, its
// shebang kept by tsup, which also makes it executable). The library's clean spares the command.
export default defineConfig([
  {
    ...common,
    // `quorum-locks/otel` is its own entry: only its users load @opentelemetry/api.
    entry: { index: "src/index.ts", otel: "src/otel/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    clean: ["!cli.js", "!cli.js.map"],
  },
  {
    ...common,
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    dts: false,
    clean: false,
  },
]);
