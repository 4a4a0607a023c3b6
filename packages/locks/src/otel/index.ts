/**
 * OpenTelemetry for quorum-locks (`quorum-locks/otel`): spans and metrics built from a Redlock's
 * lifecycle events. Needs `@opentelemetry/api` (an optional peer dependency of quorum-locks).
 *
 * @module
 */
import {
  type Attributes,
  type Meter,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import type { Redlock, RedlockEvents } from "../redlock/redlock.js";

/** Where spans and metrics go; each defaults to the global provider's `quorum-locks` one. */
export interface InstrumentationOptions {
  /** Spans `quorum-locks acquire`, `quorum-locks extend`, `quorum-locks release`. */
  readonly tracer?: Tracer;
  /** The instruments listed in {@link instrumentRedlock}. */
  readonly meter?: Meter;
}

/** Span attribute and metric names, for dashboards and queries. */
export const otelNames = {
  spans: {
    acquire: "quorum-locks acquire",
    extend: "quorum-locks extend",
    release: "quorum-locks release",
  },
  metrics: {
    acquireDuration: "quorum_locks.acquire.duration",
    failures: "quorum_locks.failures",
    contention: "quorum_locks.contention",
    lost: "quorum_locks.lost",
    nodeDown: "quorum_locks.node.down",
  },
  attributes: {
    resources: "quorum_locks.resources",
    lockId: "quorum_locks.lock_id",
    outcome: "quorum_locks.outcome",
    attempts: "quorum_locks.attempts",
    granted: "quorum_locks.nodes.granted",
    contended: "quorum_locks.contended",
    ttl: "quorum_locks.ttl",
    operation: "quorum_locks.operation",
    node: "quorum_locks.node",
    /** What was held: "lock", or a primitive's hold ("permit", "read", "write"). */
    kind: "quorum_locks.kind",
  },
} as const;

const A = otelNames.attributes;

type Listener<K extends keyof RedlockEvents> = (...args: RedlockEvents[K]) => void;

/**
 * Instruments one Redlock (and so a LockManager, through `manager.redlock`): a span per
 * acquisition, extension and release, with its resources, outcome, attempts and granting nodes,
 * and these metrics:
 *
 * - `quorum_locks.acquire.duration` (histogram, ms, by `quorum_locks.outcome`): from the call to
 *   the lock or the failure;
 * - `quorum_locks.failures` (counter, by `quorum_locks.operation` and `quorum_locks.outcome`):
 *   failed acquisitions, extensions and releases;
 * - `quorum_locks.contention` (counter, by outcome): acquisitions that found the lock held by
 *   another owner;
 * - `quorum_locks.lost` (counter): held locks found lost;
 * - `quorum_locks.node.down` (counter, by `quorum_locks.node`): nodes that stopped answering.
 *
 * Resource names go on spans only: as metric attributes they could have unbounded cardinality.
 * Spans are recorded when the operation ends, with its measured start, under the context active
 * then (the caller's, for an awaited call). Tokens appear only as their first 8 characters.
 *
 * @returns a function that removes the instrumentation.
 */
export function instrumentRedlock(
  redlock: Redlock,
  options: InstrumentationOptions = {},
): () => void {
  const tracer = options.tracer ?? trace.getTracer("quorum-locks");
  const meter = options.meter ?? metrics.getMeter("quorum-locks");
  const names = otelNames.metrics;
  const acquireDuration = meter.createHistogram(names.acquireDuration, {
    description: "Time from an acquire call to the lock or the failure",
    unit: "ms",
  });
  const failures = meter.createCounter(names.failures, {
    description: "Failed acquisitions, extensions and releases",
  });
  const contention = meter.createCounter(names.contention, {
    description: "Acquisitions that found the lock held by another owner",
  });
  const lost = meter.createCounter(names.lost, { description: "Held locks found lost" });
  const nodeDown = meter.createCounter(names.nodeDown, {
    description: "Nodes that stopped answering (once per outage)",
  });

  /** A span for an operation that took `duration` ms and just ended. */
  const record = (name: string, duration: number, attributes: Attributes, error?: Error) => {
    const end = Date.now();
    const span: Span = tracer.startSpan(name, {
      kind: SpanKind.CLIENT,
      startTime: end - duration,
      attributes,
    });
    if (error !== undefined) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end(end);
  };

  /** The attributes every span has: what was locked, by whom, and how it ended. */
  const about = (
    e: { readonly resources: readonly string[]; readonly lockId?: string; readonly kind?: string },
    outcome: string,
    more: Attributes,
  ): Attributes => {
    const attributes: Attributes = {
      [A.resources]: [...e.resources],
      [A.outcome]: outcome,
      [A.kind]: e.kind ?? "lock",
    };
    if (e.lockId !== undefined) attributes[A.lockId] = e.lockId;
    return Object.assign(attributes, more);
  };

  const listeners: { [K in keyof RedlockEvents]?: Listener<K> } = {
    acquired: (e) => {
      record(
        otelNames.spans.acquire,
        e.duration,
        about(e, "acquired", {
          [A.attempts]: e.attempts,
          [A.granted]: e.granted,
          [A.contended]: e.contended,
        }),
      );
      acquireDuration.record(e.duration, { [A.outcome]: "acquired", [A.kind]: e.kind ?? "lock" });
      if (e.contended) contention.add(1, { [A.outcome]: "acquired" });
    },
    acquireFailed: (e) => {
      record(
        otelNames.spans.acquire,
        e.duration,
        about(e, e.outcome, { [A.attempts]: e.attempts, [A.contended]: e.contended }),
        e.error,
      );
      acquireDuration.record(e.duration, { [A.outcome]: e.outcome, [A.kind]: e.kind ?? "lock" });
      failures.add(1, { [A.operation]: "acquire", [A.outcome]: e.outcome });
      if (e.contended) contention.add(1, { [A.outcome]: e.outcome });
    },
    extended: (e) => {
      record(
        otelNames.spans.extend,
        e.duration,
        about(e, "extended", { [A.ttl]: e.ttl, [A.granted]: e.granted }),
      );
    },
    extendFailed: (e) => {
      const outcome = e.lost ? "lost" : "failed";
      record(otelNames.spans.extend, e.duration, about(e, outcome, { [A.ttl]: e.ttl }), e.error);
      failures.add(1, { [A.operation]: "extend", [A.outcome]: outcome });
    },
    released: (e) => {
      record(otelNames.spans.release, e.duration, about(e, "released", {}));
    },
    releaseFailed: (e) => {
      record(otelNames.spans.release, e.duration, about(e, "failed", {}), e.error);
      failures.add(1, { [A.operation]: "release", [A.outcome]: "failed" });
    },
    lost: () => {
      lost.add(1);
    },
    nodeDown: (e) => {
      nodeDown.add(1, { [A.node]: e.node });
    },
  };

  const emitter = redlock as unknown as NodeJS.EventEmitter;
  const entries = Object.entries(listeners) as [string, (...args: unknown[]) => void][];
  for (const [name, listener] of entries) emitter.on(name, listener);
  return () => {
    for (const [name, listener] of entries) emitter.off(name, listener);
  };
}
