// quorum-locks/nestjs, imported by the package's own name from an ES module.
import { createRequire } from "node:module";

const { exercise } = createRequire(import.meta.url)("./nestjs-exercise.cjs");
const report = await exercise(
  await import("quorum-locks"),
  await import("quorum-locks/nestjs"),
  process.argv.slice(2),
);
console.log(JSON.stringify({ format: "esm", ...report }));
