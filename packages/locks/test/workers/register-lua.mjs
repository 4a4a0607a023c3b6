// Worker processes run the TypeScript sources through tsx; this hook loads .lua files as text,
// as the build and the test config do.
import { register } from "node:module";

register("./lua-loader.mjs", import.meta.url);
