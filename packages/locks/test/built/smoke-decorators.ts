// The decorators written with the `@` syntax, in TypeScript run as it is: what Bun and Deno do
// (Node parses no decorator syntax, so the test runs this file under those two only). This
// package's tsconfig asks for standard decorators, and so does Deno by default.
import { cacheStampedeProtect, distributedLock, LockManager } from "quorum-locks";

const manager = new LockManager({ redisNodes: process.argv.slice(2), defaultTimeout: 5_000 });

class Jobs {
  inside = 0;
  overlapped = false;
  fetches = 0;

  @distributedLock("smoke:decorated:{0}", { manager, timeout: 5_000 })
  async run(id: number): Promise<number> {
    this.inside++;
    if (this.inside > 1) this.overlapped = true;
    await new Promise((resolve) => setTimeout(resolve, 30));
    this.inside--;
    return id;
  }

  @cacheStampedeProtect("smoke:decorated-cache:{0}", { manager })
  async load(id: number): Promise<{ id: number }> {
    this.fetches++;
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { id };
  }
}

try {
  const jobs = new Jobs();
  const decorated = await Promise.all([jobs.run(7), jobs.run(7)]);
  const loaded = await Promise.all(Array.from({ length: 10 }, () => jobs.load(3)));
  console.log(
    JSON.stringify({
      runtime: process.versions["bun"] ? "bun" : process.versions["deno"] ? "deno" : "node",
      decorated,
      overlapped: jobs.overlapped,
      fetches: jobs.fetches,
      loaded: loaded.every((v) => v.id === 3),
    }),
  );
} finally {
  await manager.close();
}
