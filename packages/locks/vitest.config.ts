import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vitest/config";

// Lua scripts are imported as text, as tsup's text loader does for the build.
const luaAsText: Plugin = {
  name: "lua-as-text",
  load(id) {
    return id.endsWith(".lua")
      ? `export default ${JSON.stringify(readFileSync(id, "utf8"))};`
      : null;
  },
};

export default defineConfig({
  plugins: [luaAsText],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
