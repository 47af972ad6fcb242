/** Table rows of one side-by-side comparison (bridge vs baseline, or Redis vs memory mode). */
import { median, quantile } from "./load.js";
import { BURST, type RunResult } from "./measure.js";
import type { FigureRow } from "./report.js";

export interface ComparisonTargets {
  /** The burst's wall time must stay within this many times the reference's. */
  wallRatio: number;
  /** Low-load p99 within the reference's plus this many ms; null: shown without a target. */
  p99PlusMs: number | null;
  /** Names the reference in the targets ("baseline", "memory"). */
  reference: string;
}

/**
 * Wall time and throughput: the median run. Latencies: pooled over the rounds (more samples for p99).
 * `measured` goes in the table's first column, `reference` in the second.
 */
export function comparisonRows<K extends string>(
  label: string,
  results: Record<K, RunResult[]>,
  [measured, reference]: readonly [K, K],
  targets: ComparisonTargets,
): FigureRow[] {
  const medianOf = (field: "burstWallMs" | "throughput") => (name: K) =>
    median(results[name].map((run) => run[field]));
  const pooled = (q: number) => (name: K) =>
    quantile(
      results[name].flatMap((run) => run.latenciesMs),
      q,
    );
  const row = (
    figure: string,
    value: (name: K) => number,
    unit: FigureRow["unit"],
    target: string,
    pass: ((bridge: number, baseline: number) => boolean) | null,
  ): FigureRow => {
    const bridge = value(measured);
    const baseline = value(reference);
    return {
      figure: `${figure} (${label})`,
      unit,
      bridge,
      baseline,
      ratio: bridge / baseline,
      target,
      pass: pass?.(bridge, baseline) ?? null,
    };
  };
  const { wallRatio, p99PlusMs } = targets;
  return [
    row(
      `${BURST} threads: wall time`,
      medianOf("burstWallMs"),
      "ms",
      `≤ ${wallRatio.toFixed(2)} × ${targets.reference}`,
      (b, a) => b <= wallRatio * a,
    ),
    row(`${BURST} threads: throughput`, medianOf("throughput"), "answers/s", "—", null),
    row("low load: p50", pooled(0.5), "ms", "—", null),
    p99PlusMs === null
      ? row("low load: p99", pooled(0.99), "ms", "—", null)
      : row(
          "low load: p99",
          pooled(0.99),
          "ms",
          `≤ ${targets.reference} + ${p99PlusMs} ms`,
          (b, a) => b <= a + p99PlusMs,
        ),
  ];
}

/** The runs without their latency lists (the figures hold the pooled percentiles). */
export function runsForJson<K extends string>(results: Record<K, RunResult[]>): Record<K, unknown[]> {
  const strip = (runs: RunResult[]) => runs.map(({ latenciesMs: _latencies, ...run }) => run);
  return Object.fromEntries(
    Object.entries<RunResult[]>(results).map(([name, runs]) => [name, strip(runs)]),
  ) as Record<K, unknown[]>;
}
