// The built CommonJS entries, `quorum-locks` and `quorum-locks/testing`, loaded by name.
"use strict";

const { exerciseTesting } = require("./testing-exercise.cjs");

exerciseTesting(require("quorum-locks"), require("quorum-locks/testing")).then(
  (report) => {
    console.log(JSON.stringify({ format: "cjs", ...report }));
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
