import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { Results } from "../results.js";

/** An SVG chart of throughput and handoff per contender, drawn by Vega-Lite. */
export async function chart(results: Results): Promise<string> {
  const throughput = Object.entries(results.throughput).map(([name, r]) => ({
    name,
    value: Math.round(r.cyclesPerSec),
  }));
  const handoff = Object.entries(results.handoff).map(([name, r]) => ({
    name,
    value: Math.max(0.1, Number(r.p50.toFixed(2))),
  }));
  const bar = (
    title: string,
    axis: string,
    values: { name: string; value: number }[],
    log: boolean,
  ) => ({
    title,
    width: 360,
    height: 22 * values.length,
    data: { values },
    mark: { type: "bar" as const, tooltip: true },
    encoding: {
      y: { field: "name", type: "nominal" as const, sort: "-x" as const, title: null },
      x: {
        field: "value",
        type: "quantitative" as const,
        title: axis,
        ...(log ? { scale: { type: "log" as const } } : {}),
      },
      color: {
        condition: { test: "datum.name === 'quorum-locks'", value: "#2f6fb0" },
        value: "#9aa5b1",
      },
    },
  });
  const spec: vegaLite.TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `quorum-locks vs peers — ${results.nodes} local Redis nodes, ${results.machine.cores} cores (${results.mode} run)`,
    hconcat: [
      bar(
        "Throughput, 64 concurrent, distinct keys (higher is better)",
        "acquire+release cycles/s",
        throughput,
        false,
      ),
      bar(
        "Handoff median (lower is better)",
        "ms from release to the waiter holding it (log)",
        handoff,
        true,
      ),
    ],
    config: { font: "sans-serif" },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
