/** The part of an event emitter that {@link untilFirst} needs (Node's, ioredis', node-redis'). */
interface Emitter {
  on(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/**
 * Resolves on the first of `events`, then stops listening to all of them, so that a
 * long-lived client of the caller's keeps no listener of ours (an 'error' listener left behind
 * would also hide the caller's unhandled errors).
 */
export function untilFirst(emitter: Emitter, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of events) emitter.removeListener(event, done);
      resolve();
    };
    for (const event of events) emitter.on(event, done);
  });
}
