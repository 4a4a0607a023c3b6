import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
  // Lua scripts ship inside the bundle as strings: no file lookups at run time.
  loader: { ".lua": "text" },
});
