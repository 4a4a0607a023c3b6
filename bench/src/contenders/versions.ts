import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** "name@version" of an installed package, read from its package.json. */
export function versionOf(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return `${name}@${pkg.version ?? "?"}`;
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return `${name}@?`;
    dir = parent;
  }
}
