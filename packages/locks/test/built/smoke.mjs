// The built ES module entry, loaded by the package's own name with import().
import { createRequire } from "node:module";

const { exercise } = createRequire(import.meta.url)("./exercise.cjs");
const lib = await import("quorum-locks");

console.log(JSON.stringify({ format: "esm", ...(await exercise(lib, process.argv.slice(2))) }));
