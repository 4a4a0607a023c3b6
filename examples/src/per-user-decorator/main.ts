// The py-redismutex seed's Django view: a mutex per user, its key built from the request
// (request.user.id). Requests of one user run one at a time; different users do not wait for
// each other. The key is a function of the method's arguments (a template such as
// "user-settings:{0.user.id}" works too).
import { setTimeout as sleep } from "node:timers/promises";
import { distributedLock, LockManager } from "quorum-locks";
import { withNodes } from "../nodes.js";

interface Request {
  readonly user: { readonly id: number };
  readonly path: string;
}

export async function perUserDecorator(urls: readonly string[]): Promise<boolean> {
  console.log(
    "\n=== per-user decorator key: @distributedLock((request) => `user-settings:${request.user.id}`) ===",
  );
  const manager = new LockManager({
    redisNodes: [...urls],
    retryDelay: 10,
    retryJitter: 10,
  });
  const running = new Map<number, number>();
  const overlap = { sameUser: false, acrossUsers: false };

  class SettingsView {
    @distributedLock((request: Request) => `user-settings:${request.user.id}`, {
      manager,
      timeout: 10_000,
    })
    async userSettings(request: Request): Promise<string> {
      const id = request.user.id;
      running.set(id, (running.get(id) ?? 0) + 1);
      if ((running.get(id) ?? 0) > 1) overlap.sameUser = true;
      if ([...running].some(([other, n]) => other !== id && n > 0)) overlap.acrossUsers = true;
      console.log(`  user ${id}: ${request.path} runs (lock user-settings:${id} held)`);
      await sleep(60);
      running.set(id, (running.get(id) ?? 1) - 1);
      return `200 OK settings of user ${id}`;
    }
  }

  const view = new SettingsView();
  const requests = [1, 2, 1, 2, 1, 2].map((id, i) =>
    view.userSettings({ user: { id }, path: `/settings #${i + 1}` }),
  );
  const responses = await Promise.all(requests);
  await manager.close();
  const ok = responses.length === 6 && !overlap.sameUser;
  console.log(
    ok
      ? `✓ 6 requests answered; one user's requests never ran together${overlap.acrossUsers ? ", while the two users' did" : ""}`
      : "✗ two requests of one user ran at the same time",
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const ok = await withNodes((urls) => perUserDecorator(urls));
  process.exitCode = ok ? 0 : 1;
}
