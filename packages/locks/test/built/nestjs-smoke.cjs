// quorum-locks/nestjs, required by the package's own name from CommonJS.
const { exercise } = require("./nestjs-exercise.cjs");

exercise(require("quorum-locks"), require("quorum-locks/nestjs"), process.argv.slice(2)).then(
  (report) => {
    console.log(JSON.stringify({ format: "cjs", ...report }));
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
