// The built ES module entries, `quorum-locks` and `quorum-locks/testing`, loaded by name.
import { createRequire } from "node:module";

const { exerciseTesting } = createRequire(import.meta.url)("./testing-exercise.cjs");
const report = await exerciseTesting(
  await import("quorum-locks"),
  await import("quorum-locks/testing"),
);

console.log(JSON.stringify({ format: "esm", ...report }));
