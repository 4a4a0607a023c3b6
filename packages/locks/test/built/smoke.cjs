// The built CommonJS entry, loaded by the package's own name as a CommonJS app loads it.
"use strict";

const lib = require("quorum-locks");
const { exercise } = require("./exercise.cjs");

exercise(lib, process.argv.slice(2)).then(
  (report) => {
    console.log(JSON.stringify({ format: "cjs", ...report }));
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
