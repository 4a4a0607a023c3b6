import Redlock from "redlock";
import { type RedlockClass, redlockStyle } from "./redlock-style.js";

// node-redlock 5 beta: its published types import ioredis, which it does not depend on, so
// under pnpm's strict layout they do not resolve; redlock-style.ts types the part we use.
export const nodeRedlock = redlockStyle("node-redlock", "redlock", Redlock as RedlockClass);
