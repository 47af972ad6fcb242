/**
 * `npm run bench`: the bridge (started as in production) against a minimal Bolt baseline, alternating
 * in the same run, over the real Slack HTTP path on loopback; then the bridge's memory over 100,000
 * threads and the rate limiter's accuracy. Prints a table, writes bench-results/latest.json.
 */
import type { AppName } from "./apps.js";
import { median, quantile } from "./load.js";
import {
  BURST,
  compare,
  GROWTH_THREADS,
  IDLE_S,
  INSTANT,
  log,
  MiB,
  measureGrowth,
  REALISTIC,
  ROUNDS,
  type RunResult,
} from "./measure.js";
import { measureRateLimit } from "./rate-limit.js";
import { type FigureRow, figuresTable, machine, RESULTS_DIR, writeResults } from "./report.js";
import { startSlackCounter } from "./slack-counter.js";

const RATE = { limit: 100, intervalMs: 250, calls: 10_000 };
/** The whole bench stops itself past this, whatever hangs. */
const DEADLINE_MS = 15 * 60_000;

/** `npm run bench -- --profile`: the bridge runs with --cpu-prof; profiles go to bench-results/profiles. */
const PROFILE = process.argv.includes("--profile");

function profileArgs(): string[] {
  return PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${RESULTS_DIR}profiles`] : [];
}

/** Wall time and throughput: the median run. Latencies: pooled over the rounds (more samples for p99). */
function comparisonRows(label: string, results: Record<AppName, RunResult[]>): FigureRow[] {
  const medianOf = (field: "burstWallMs" | "throughput") => (name: AppName) =>
    median(results[name].map((run) => run[field]));
  const pooled = (q: number) => (name: AppName) =>
    quantile(
      results[name].flatMap((run) => run.latenciesMs),
      q,
    );
  const row = (
    figure: string,
    value: (name: AppName) => number,
    unit: FigureRow["unit"],
    target: string,
    pass: ((bridge: number, baseline: number) => boolean) | null,
  ): FigureRow => {
    const bridge = value("bridge");
    const baseline = value("baseline");
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
  return [
    row(
      `${BURST} threads: wall time`,
      medianOf("burstWallMs"),
      "ms",
      "≤ 1.10 × baseline",
      (b, a) => b <= 1.1 * a,
    ),
    row(`${BURST} threads: throughput`, medianOf("throughput"), "answers/s", "—", null),
    row("low load: p50", pooled(0.5), "ms", "—", null),
    row("low load: p99", pooled(0.99), "ms", "≤ baseline + 2 ms", (b, a) => b <= a + 2),
  ];
}

/** The runs without their latency lists (the figures hold the pooled percentiles). */
function runsForJson(results: Record<AppName, RunResult[]>) {
  const strip = (runs: RunResult[]) => runs.map(({ latenciesMs: _latencies, ...run }) => run);
  return { bridge: strip(results.bridge), baseline: strip(results.baseline) };
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`stopped: the bench took longer than ${DEADLINE_MS / 60_000} minutes`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const startedAt = new Date();
  const slack = await startSlackCounter();
  try {
    log(`${INSTANT.label}: ${ROUNDS} rounds, alternating`);
    const instant = await compare(INSTANT, slack, profileArgs());
    log(`${REALISTIC.label}: ${ROUNDS} rounds, alternating`);
    const realistic = await compare(REALISTIC, slack, profileArgs());
    log(`memory over ${GROWTH_THREADS.toLocaleString("en-US")} threads (bridge only)`);
    const growth = await measureGrowth(slack, profileArgs());
    log(`rate limit: ${RATE.limit} per ${RATE.intervalMs} ms, ${RATE.calls.toLocaleString("en-US")} calls`);
    const rate = await measureRateLimit(RATE.limit, RATE.intervalMs, RATE.calls);

    const startups = {
      bridge: [...instant.bridge, ...realistic.bridge],
      baseline: [...instant.baseline, ...realistic.baseline],
    };
    const peak = {
      bridge: median(instant.bridge.map((r) => r.peakRssBytes)) / MiB,
      baseline: median(instant.baseline.map((r) => r.peakRssBytes)) / MiB,
    };
    const growthMB = (growth.rssAfterBytes - growth.rssBeforeBytes) / 1e6;
    const idleGrowthMB = (growth.rssIdleMinBytes - growth.rssBeforeBytes) / 1e6;
    const startup = {
      bridge: median(startups.bridge.map((r) => r.startupMs)),
      baseline: median(startups.baseline.map((r) => r.startupMs)),
    };
    const rows: FigureRow[] = [
      ...comparisonRows("instant", instant),
      {
        figure: `${BURST} threads: peak RSS (instant)`,
        unit: "MiB",
        ...peak,
        ratio: peak.bridge / peak.baseline,
        target: "≤ 1.10 × baseline",
        pass: peak.bridge <= 1.1 * peak.baseline,
      },
      {
        figure: `RSS growth over ${GROWTH_THREADS.toLocaleString("en-US")} threads`,
        unit: "MB",
        bridge: growthMB,
        baseline: null,
        ratio: null,
        target: "≤ 50 MB",
        pass: growthMB <= 50,
      },
      {
        figure: `  the same, lowest over ${IDLE_S} s idle after`,
        unit: "MB",
        bridge: idleGrowthMB,
        baseline: null,
        ratio: null,
        target: "—",
        pass: null,
      },
      {
        figure: "start → /healthz 200",
        unit: "ms",
        ...startup,
        ratio: startup.bridge / startup.baseline,
        target: "< 1500 ms",
        pass: startup.bridge < 1500,
      },
      ...comparisonRows("500 ms", realistic),
      {
        figure: `rate limit ${RATE.limit}/${RATE.intervalMs} ms: windows over L`,
        unit: "windows",
        bridge: rate.windowsOverLimit,
        baseline: null,
        ratio: null,
        target: "0",
        pass: rate.windowsOverLimit === 0,
      },
      {
        figure: `rate limit ${RATE.limit}/${RATE.intervalMs} ms: utilisation`,
        unit: "share",
        bridge: rate.utilisation,
        baseline: null,
        ratio: null,
        target: "≥ 0.95",
        pass: rate.utilisation >= 0.95,
      },
    ];
    process.stdout.write(`\n${figuresTable(rows)}\n\n`);
    const path = writeResults("latest.json", {
      date: startedAt.toISOString(),
      durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machine(),
      settings: {
        rounds: ROUNDS,
        burst: BURST,
        burstInFlight: 64,
        plans: [INSTANT, REALISTIC],
        rate: RATE,
        growthThreads: GROWTH_THREADS,
      },
      figures: rows,
      runs: { instant: runsForJson(instant), realistic: runsForJson(realistic) },
      growth,
      rateLimit: rate,
    });
    log(`figures written to ${path}`);
    if (rows.some((row) => row.pass === false)) process.exitCode = 1;
  } finally {
    await slack.close();
    clearTimeout(deadline);
  }
}

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
