/** The bench's measurements: one app run, alternating rounds of both apps, the bridge's memory growth. */
import { type AppName, appEnv, startApp } from "./apps.js";
import { EventSender, quantile, sendMentions } from "./load.js";
import { memoryOf, type RunningSimulatorProcess, startSimulatorProcess } from "./processes.js";
import type { SlackCounter } from "./slack-counter.js";

export const ROUNDS = 3;
export const BURST = 2_000;
export const GROWTH_THREADS = 100_000;
/** Idle seconds after the growth run, watching whether V8 gives memory back. */
export const IDLE_S = 30;

/** What one run of one app does after it started. */
export interface Plan {
  label: string;
  simulatorLatencyMs: number;
  /** Messages before measuring (JIT, connection pools). */
  warmup: number;
  /** Low load: `streams` independent senders, each one message at a time. */
  latency: { count: number; streams: number };
  /** Bursts of BURST threads per run; the fastest counts (noise on 2 shared cores only ever adds). */
  bursts: number;
  timeoutMs: number;
}

export const INSTANT: Plan = {
  label: "instant assistant",
  simulatorLatencyMs: 0,
  warmup: 300,
  latency: { count: 300, streams: 1 },
  bursts: 2,
  timeoutMs: 60_000,
};
/**
 * At 500 ms a strictly one-at-a-time run of a few hundred messages would take minutes per app and
 * round; four independent one-at-a-time streams (8 messages/s) are still far from any queueing.
 * More streams widen the spread of both apps' latencies (three processes share two cores).
 */
export const REALISTIC: Plan = {
  label: "500 ms assistant",
  simulatorLatencyMs: 500,
  warmup: 300,
  latency: { count: 200, streams: 4 },
  bursts: 2,
  timeoutMs: 60_000,
};

export interface RunResult {
  startupMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Every low-load latency of the run (the figures pool them over the rounds). */
  latenciesMs: number[];
  burstWallMs: number;
  /** Every burst of the run; burstWallMs is the fastest. */
  burstsMs: number[];
  throughput: number;
  /** VmHWM after the first burst: warm-up, low load and one burst. */
  peakRssBytes: number;
}

/** After the warm-up, so that its tail (GC, connections closing) does not land in the latencies. */
const SETTLE_MS = 2000;

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const MiB = 2 ** 20;

/** One app, freshly started: warm-up, the low-load latencies, then the 2,000-message burst. */
async function measureRun(
  name: AppName,
  plan: Plan,
  simulator: RunningSimulatorProcess,
  slack: SlackCounter,
  bridgeArgs: readonly string[],
  /** More environment (the Redis mode's REDIS_URL). */
  extraEnv: Record<string, string> = {},
  /** Runs after the warm-up, right before the bursts (the Redis mode resets its command counts). */
  beforeBursts: () => Promise<void> = async () => {},
): Promise<RunResult> {
  slack.reset();
  const app = await startApp(
    name,
    appEnv(simulator.env, slack),
    { ...(name === "bridge-openai" ? simulator.openAiEnv : {}), ...extraEnv },
    name === "baseline" ? [] : bridgeArgs,
  );
  const sender = new EventSender(app.url);
  try {
    const common = { sender, counter: slack, timeoutMs: plan.timeoutMs };
    await sendMentions({ ...common, count: plan.warmup, inFlight: 16 });
    await sleep(SETTLE_MS);
    const { streams, count } = plan.latency;
    const low = await sendMentions({
      ...common,
      count,
      inFlight: streams,
      maxUnanswered: streams,
      recordLatency: true,
    });
    await beforeBursts();
    const bursts: number[] = [];
    let peakRssBytes = 0;
    for (let i = 0; i < plan.bursts; i++) {
      bursts.push((await sendMentions({ ...common, count: BURST, inFlight: 64 })).wallMs);
      if (i === 0) peakRssBytes = memoryOf(app.child.pid).peakRss;
    }
    const burstWallMs = Math.min(...bursts);
    if (slack.threadsPostedTwice() > 0)
      throw new Error(`${name}: ${slack.threadsPostedTwice()} threads answered twice`);
    const result: RunResult = {
      startupMs: app.startupMs,
      p50Ms: quantile(low.latenciesMs, 0.5),
      p99Ms: quantile(low.latenciesMs, 0.99),
      latenciesMs: low.latenciesMs,
      burstWallMs,
      burstsMs: bursts,
      throughput: (BURST / burstWallMs) * 1000,
      peakRssBytes,
    };
    const shown = extraEnv.REDIS_URL === undefined ? name : `${name} on Redis`;
    log(
      `${plan.label} ${shown}: start ${result.startupMs.toFixed(0)} ms, p50 ${result.p50Ms.toFixed(2)} ms, ` +
        `p99 ${result.p99Ms.toFixed(2)} ms, bursts ${bursts.map((ms) => ms.toFixed(0)).join("/")} ms, ` +
        `peak RSS ${(result.peakRssBytes / MiB).toFixed(1)} MiB`,
    );
    return result;
  } catch (error) {
    // Say whether the app itself died (and how), not only what the load generator saw.
    const state = await Promise.race([app.child.exited.then((code) => `exited with ${code}`), sleep(100)]);
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${name}: ${why}; the app ${state ?? "still runs"}; its stderr ends:\n${app.child.stderrTail()}`,
    );
  } finally {
    sender.close();
    await app.child.stop();
  }
}

/**
 * ROUNDS rounds of the baseline, the bridge on Twilio's contract and the bridge on Chat Completions,
 * the order rotated every round so a drift of the machine hits every app alike.
 */
export async function compare(
  plan: Plan,
  slack: SlackCounter,
  bridgeArgs: readonly string[] = [],
): Promise<Record<AppName, RunResult[]>> {
  const simulator = await startSimulatorProcess({ latencyMs: plan.simulatorLatencyMs });
  const results: Record<AppName, RunResult[]> = { bridge: [], "bridge-openai": [], baseline: [] };
  const apps: AppName[] = ["baseline", "bridge", "bridge-openai"];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Each app in each position once over the rounds: none is always first on a cold machine.
      const order = apps.map((_, k) => apps[(k + round) % apps.length] as AppName);
      for (const name of order)
        results[name].push(await measureRun(name, plan, simulator, slack, bridgeArgs));
    }
  } finally {
    await simulator.stop();
  }
  return results;
}

export type StoreMode = "memory" | "redis";

/**
 * The bridge alone, in memory mode and in Redis mode (REDIS_URL at `redisUrl`, a fresh prefix per
 * run), alternating like `compare`: what the shared state costs. `afterRedisRun` sees each Redis run's
 * bursts (the command counts are read there).
 */
export async function compareStores(
  plan: Plan,
  slack: SlackCounter,
  redisUrl: string,
  hooks: { beforeRedisBursts: () => Promise<void>; afterRedisRun: (run: RunResult) => Promise<void> },
  bridgeArgs: readonly string[] = [],
): Promise<Record<StoreMode, RunResult[]>> {
  const simulator = await startSimulatorProcess({ latencyMs: plan.simulatorLatencyMs });
  const results: Record<StoreMode, RunResult[]> = { memory: [], redis: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order: StoreMode[] = round % 2 === 0 ? ["memory", "redis"] : ["redis", "memory"];
      for (const mode of order) {
        if (mode === "memory") {
          results.memory.push(await measureRun("bridge", plan, simulator, slack, bridgeArgs));
          continue;
        }
        const env = { REDIS_URL: redisUrl, REDIS_PREFIX: `{bench-${plan.simulatorLatencyMs}-${round}}:` };
        const run = await measureRun(
          "bridge",
          plan,
          simulator,
          slack,
          bridgeArgs,
          env,
          hooks.beforeRedisBursts,
        );
        await hooks.afterRedisRun(run);
        results.redis.push(run);
      }
    }
  } finally {
    await simulator.stop();
  }
  return results;
}

/**
 * RSS of the bridge after a warm-up, and again after 100,000 more threads (paced, no backlog). Also
 * the lowest RSS over 30 s of idling afterwards (info): V8 collects old garbage lazily, so the figure
 * right after the load holds garbage as well as what the bridge keeps.
 */
export async function measureGrowth(slack: SlackCounter, bridgeArgs: readonly string[] = []) {
  const simulator = await startSimulatorProcess();
  slack.reset();
  const app = await startApp("bridge", appEnv(simulator.env, slack), {}, bridgeArgs);
  const sender = new EventSender(app.url);
  const rss = () => memoryOf(app.child.pid).rss;
  try {
    // At most 1,000 unanswered, so the figure is what the bridge keeps, not a backlog in its queue.
    const common = { sender, counter: slack, inFlight: 64, maxUnanswered: 1000, timeoutMs: 600_000 };
    await sendMentions({ ...common, count: 5_000 });
    await sleep(2000);
    const rssBeforeBytes = rss();
    const rssEvery10kBytes: number[] = [];
    const started = performance.now();
    for (let sent = 0; sent < GROWTH_THREADS; sent += 10_000) {
      await sendMentions({ ...common, count: 10_000 });
      rssEvery10kBytes.push(rss());
      log(`growth: ${sent + 10_000} threads, RSS ${((rssEvery10kBytes.at(-1) ?? 0) / MiB).toFixed(1)} MiB`);
    }
    const seconds = (performance.now() - started) / 1000;
    await sleep(2000);
    const rssAfterBytes = rss();
    let rssIdleMinBytes = rssAfterBytes;
    for (let second = 0; second < IDLE_S; second++) {
      await sleep(1000);
      rssIdleMinBytes = Math.min(rssIdleMinBytes, rss());
    }
    if (slack.threadsPostedTwice() > 0)
      throw new Error(`growth: ${slack.threadsPostedTwice()} threads answered twice`);
    return {
      rssBeforeBytes,
      rssAfterBytes,
      rssIdleMinBytes,
      rssEvery10kBytes,
      peakRssBytes: memoryOf(app.child.pid).peakRss,
      seconds,
    };
  } finally {
    sender.close();
    await app.child.stop();
    await simulator.stop();
  }
}
