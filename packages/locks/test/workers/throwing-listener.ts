// A listener of the `acquired` event throws: the acquisition must still hand back a held lock,
// and the listener's error must surface as an uncaught exception (as diagnostics_channel does).
import { Redlock } from "../../src/index.js";

const [url = ""] = process.argv.slice(2);
const uncaught: string[] = [];
process.on("uncaughtException", (error) => uncaught.push(error.message));
const redlock = new Redlock([url]);
redlock.on("acquired", () => {
  throw new Error("listener bug");
});
const lock = await redlock.acquire("throwing-listener", 10_000);
const held = lock.isHeld();
await lock.release();
await redlock.quit();
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(`${JSON.stringify({ held, uncaught })}\n`);
