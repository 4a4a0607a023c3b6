// redlock 5 beta's declarations do not resolve under moduleResolution "Bundler" (its exports map
// has no types condition); contenders/node-redlock.ts types the part it uses.
declare module "redlock" {
  const Redlock: unknown;
  export default Redlock;
}
