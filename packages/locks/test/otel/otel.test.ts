import { SpanStatusCode } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, test } from "vitest";
import { LockOwnershipError } from "../../src/index.js";
import { instrumentRedlock, otelNames } from "../../src/otel/index.js";
import { useNodes } from "../fixtures/vitest.js";

const A = otelNames.attributes;

/** A tracer and a meter that keep everything in memory, and readers for both. */
function telemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracer: tracerProvider.getTracer("test"),
    meter: meterProvider.getMeter("test"),
    spans: () => spans.getFinishedSpans(),
    /** Every data point of the metric `name`, after a collection. */
    async points(name: string): Promise<DataPoint<unknown>[]> {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

describe("quorum-locks/otel", () => {
  const env = useNodes(3);
  const made: ReturnType<typeof telemetry>[] = [];
  const setup = () => {
    const t = telemetry();
    made.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(made.splice(0).map((t) => t.shutdown()));
  });

  test("spans around acquire, extend and release carry resources, outcome, attempts and nodes", async () => {
    const t = setup();
    const redlock = env.redlock();
    instrumentRedlock(redlock, { tracer: t.tracer, meter: t.meter });
    const lock = await redlock.acquire(["a", "b"], 10_000);
    await lock.extend(10_000);
    await lock.release();

    const spans = t.spans();
    expect(spans.map((s) => s.name)).toEqual([
      otelNames.spans.acquire,
      otelNames.spans.extend,
      otelNames.spans.release,
    ]);
    const [acquire, extend, release] = spans;
    expect(acquire?.attributes).toMatchObject({
      [A.resources]: ["a", "b"],
      [A.lockId]: lock.value.slice(0, 8),
      [A.outcome]: "acquired",
      [A.attempts]: 1,
      [A.contended]: false,
    });
    expect(acquire?.attributes[A.granted]).toBeGreaterThanOrEqual(2);
    expect(extend?.attributes).toMatchObject({ [A.outcome]: "extended", [A.ttl]: 10_000 });
    expect(release?.attributes).toMatchObject({ [A.outcome]: "released" });
    for (const span of spans) expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(lock.value);
  });

  test("failures: error spans and counters; contention; lost locks; acquire latency", async () => {
    const t = setup();
    const redlock = env.redlock({ retryCount: 1, retryDelay: 5, retryJitter: 5 });
    instrumentRedlock(redlock, { tracer: t.tracer, meter: t.meter });

    await env.nodes.hold("busy", "someone-else", 60_000, [0, 1, 2]);
    await expect(redlock.acquire("busy", 1_000)).rejects.toThrow();
    const lock = await redlock.acquire("mine", 10_000);
    await env.nodes.hold("mine", "intruder", 60_000, [0, 1, 2]);
    await expect(lock.extend(10_000)).rejects.toBeInstanceOf(LockOwnershipError);

    const failed = t.spans().filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed.map((s) => [s.name, s.attributes[A.outcome]])).toEqual([
      [otelNames.spans.acquire, "exhausted"],
      [otelNames.spans.extend, "lost"],
    ]);
    expect(failed[0]?.attributes[A.attempts]).toBe(2);
    expect(failed[0]?.events.map((e) => e.name)).toEqual(["exception"]);

    const failures = await t.points(otelNames.metrics.failures);
    expect(failures.map((p) => [p.attributes, p.value])).toEqual([
      [{ [A.operation]: "acquire", [A.outcome]: "exhausted" }, 1],
      [{ [A.operation]: "extend", [A.outcome]: "lost" }, 1],
    ]);
    const contention = await t.points(otelNames.metrics.contention);
    expect(contention.map((p) => [p.attributes, p.value])).toEqual([
      [{ [A.outcome]: "exhausted" }, 1],
    ]);
    const lost = await t.points(otelNames.metrics.lost);
    expect(lost.map((p) => p.value)).toEqual([1]);
    const latency = await t.points(otelNames.metrics.acquireDuration);
    expect(
      latency.map((p) => [p.attributes[A.outcome], (p.value as Histogram).count]).sort(),
    ).toEqual([
      ["acquired", 1],
      ["exhausted", 1],
    ]);
  });

  test("node outages are counted per node; uninstrumenting stops everything", async () => {
    const t = setup();
    const redlock = env.redlock({ retryCount: 0 });
    const stop = instrumentRedlock(redlock, { tracer: t.tracer, meter: t.meter });
    await (await redlock.acquire("warm-up", 1_000)).release();
    await env.nodes.server(2).kill();
    await (await redlock.acquire("after-kill", 1_000)).release().catch(() => undefined);
    const down = await t.points(otelNames.metrics.nodeDown);
    expect(down.map((p) => [p.attributes[A.node], p.value])).toEqual([[redlock.nodes[2], 1]]);

    stop();
    const before = t.spans().length;
    await (await redlock.acquire("quiet", 1_000)).release();
    expect(t.spans()).toHaveLength(before);
    expect(redlock.listenerCount("acquired")).toBe(0);
  });

  test("spans and the acquire histogram say which kind of hold", async () => {
    const t = setup();
    const redlock = env.redlock();
    const stop = instrumentRedlock(redlock, { tracer: t.tracer, meter: t.meter });
    await (await redlock.semaphore("otel-sem", { limit: 2 }).acquire(5_000)).release();
    await (await redlock.readWriteLock("otel-rw").acquireRead(5_000)).release();
    await (await redlock.acquire("otel-plain", 5_000)).release();
    const acquires = t.spans().filter((s) => s.name === otelNames.spans.acquire);
    expect(acquires.map((s) => s.attributes[A.kind])).toEqual(["permit", "read", "lock"]);
    const latency = await t.points(otelNames.metrics.acquireDuration);
    expect(latency.map((p) => p.attributes[A.kind]).sort()).toEqual(["lock", "permit", "read"]);
    stop();
  });
});
