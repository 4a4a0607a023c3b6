import { Redlock } from "@sesamecare-oss/redlock";
import { redlockStyle } from "./redlock-style.js";

// The maintained fork of node-redlock.
export const sesamecareRedlock = redlockStyle(
  "@sesamecare-oss/redlock",
  "@sesamecare-oss/redlock",
  Redlock,
);
