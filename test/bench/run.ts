/**
 * `npm run bench`: the bridge (started as in production, on Twilio's contract and on Chat Completions)
 * against a minimal Bolt baseline, alternating in the same run, over the real Slack HTTP path on loopback; then the bridge's memory over 100,000
 * threads and the rate limiter's accuracy; then the bridge in Redis mode beside memory mode, and what
 * it costs Redis. Prints the tables, writes bench-results/latest.json.
 */
import { comparisonRows, runsForJson } from "./comparison.js";
import { median } from "./load.js";
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
} from "./measure.js";
import { measureRateLimit } from "./rate-limit.js";
import { type FigureRow, figuresTable, machine, RESULTS_DIR, writeResults } from "./report.js";
import { type SlackCounter, startSlackCounter } from "./slack-counter.js";
import { measureStores } from "./stores.js";

const RATE = { limit: 100, intervalMs: 250, calls: 10_000 };
/** The whole bench stops itself past this, whatever hangs. */
const DEADLINE_MS = 25 * 60_000;

/** `npm run bench -- --redis`: only Redis mode beside memory mode (a few minutes). */
const REDIS_ONLY = process.argv.includes("--redis");
/** `npm run bench -- --profile`: the bridge runs with --cpu-prof; profiles go to bench-results/profiles. */
const PROFILE = process.argv.includes("--profile");

function profileArgs(): string[] {
  return PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${RESULTS_DIR}profiles`] : [];
}

const BASELINE_TARGETS = { wallRatio: 1.1, p99PlusMs: 2, reference: "baseline" };

/** The bridge against the baseline app, its memory growth and the rate limiter (memory mode). */
async function againstBaseline(
  slack: SlackCounter,
): Promise<{ rows: FigureRow[]; json: Record<string, unknown> }> {
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
    ...comparisonRows("instant", instant, ["bridge", "baseline"], BASELINE_TARGETS),
    ...comparisonRows("instant, OpenAI backend", instant, ["bridge-openai", "baseline"], BASELINE_TARGETS),
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
    ...comparisonRows("500 ms", realistic, ["bridge", "baseline"], BASELINE_TARGETS),
    ...comparisonRows("500 ms, OpenAI backend", realistic, ["bridge-openai", "baseline"], BASELINE_TARGETS),
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
  return {
    rows,
    json: {
      runs: { instant: runsForJson(instant), realistic: runsForJson(realistic) },
      growth,
      rateLimit: rate,
    },
  };
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
    const baseline = REDIS_ONLY ? null : await againstBaseline(slack);
    const stores = await measureStores(slack, profileArgs());
    if (baseline) process.stdout.write(`\n${figuresTable(baseline.rows)}\n`);
    process.stdout.write(`\n${figuresTable(stores.rows, ["Redis", "memory"])}\n\n`);
    const path = writeResults(REDIS_ONLY ? "redis.json" : "latest.json", {
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
      figures: baseline?.rows ?? [],
      storeFigures: stores.rows,
      ...baseline?.json,
      stores: stores.json,
    });
    log(`figures written to ${path}`);
    if ([...(baseline?.rows ?? []), ...stores.rows].some((row) => row.pass === false)) process.exitCode = 1;
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
