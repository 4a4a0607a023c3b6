import type { RedisNode } from "../client/redis-node.js";
import { releaseChannel } from "./channels.js";
import { timerDelay } from "./timer.js";

/**
 * Wakes a waiting acquisition the moment one of its resources is released on any node
 * (release.lua publishes on the resource's channel), over each node's shared subscriber
 * connection. Notifications are counted, so that one arriving while an attempt is in flight is
 * not lost: the wait that follows returns at once.
 */
export class ReleaseNotifier {
  readonly #nodes: readonly RedisNode[];
  readonly #resources: readonly string[];
  readonly #stops: (() => void)[] = [];
  #count = 0;
  #wake: (() => void) | undefined;
  #listening = false;
  #stopped = false;

  constructor(nodes: readonly RedisNode[], resources: readonly string[]) {
    this.#nodes = nodes;
    this.#resources = resources;
  }

  /** Notifications received so far. */
  get count(): number {
    return this.#count;
  }

  /** Whether some node will announce releases (else waiters must poll). */
  get listening(): boolean {
    return this.#listening;
  }

  /**
   * Subscribes on every node that can notify; resolves once each confirmed (or timed out).
   * Returns whether any node can deliver notifications.
   */
  async start(): Promise<boolean> {
    const capable = this.#nodes.filter((n) => n.channels.available);
    this.#listening = capable.length > 0;
    const stops = await Promise.all(
      capable.flatMap((node) =>
        this.#resources.map((resource) =>
          node.channels.listen(releaseChannel(resource), this.#onRelease),
        ),
      ),
    );
    if (this.#stopped) for (const stop of stops) stop();
    else this.#stops.push(...stops);
    return capable.length > 0;
  }

  /**
   * Resolves after `ms`, or as soon as a notification beyond `since` arrives (at once if one
   * already has); rejects with the signal's reason when it aborts.
   */
  wait(ms: number, since: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#count > since) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wake = undefined;
      };
      const onAbort = () => {
        finish();
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        finish();
        resolve();
      }, timerDelay(ms));
      this.#wake = () => {
        finish();
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const stop of this.#stops.splice(0)) stop();
    this.#wake?.();
  }

  readonly #onRelease = (): void => {
    this.#count++;
    this.#wake?.();
  };
}

/** Waits `ms`, or rejects with the signal's reason the moment it aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
