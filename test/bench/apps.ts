/** The two apps the bench compares, started as child processes against the same doubles. */
import { BENCH_SIGNING_SECRET } from "./load.js";
import {
  BASELINE_MAIN,
  BRIDGE_MAIN,
  type Child,
  listeningLine,
  PRODUCTION_NODE_FLAGS,
  spawnNode,
  waitFor200,
} from "./processes.js";
import type { SlackCounter } from "./slack-counter.js";

/** `bridge-openai`: the bridge on the OpenAI-compatible backend (the simulator's Chat Completions side). */
export type AppName = "bridge" | "bridge-openai" | "baseline";

/** Limits high enough that the bridge's queue is never what the bench measures. */
export const UNBOUNDED_QUEUE: Record<string, string> = {
  ASSISTANT_RATE_LIMIT: "100000",
  ASSISTANT_RATE_INTERVAL_MS: "1000",
  // Above the 2,000-message burst, so that at 500 ms latency every call can be in flight at once
  // (the baseline has no limit at all).
  ASSISTANT_CONCURRENCY: "10000",
  QUEUE_MAX_PENDING: "200000",
  QUEUE_MAX_PENDING_PER_USER: "200000",
};

export interface RunningApp {
  name: AppName;
  child: Child;
  url: string;
  /** Spawn → first /healthz 200. */
  startupMs: number;
}

/** The environment both apps get: the simulator's TWILIO_* and the Slack double. */
export function appEnv(simulatorEnv: Record<string, string>, slack: SlackCounter): Record<string, string> {
  return {
    ...simulatorEnv,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    PORT: "0",
  };
}

/**
 * Starts the bridge as in production (the Procfile's command, LOG_LEVEL=info) or the baseline (with
 * the same node flags), and
 * resolves once it takes events: the bridge's /readyz (auth.test done), the baseline's /healthz (its
 * app.start() has run auth.test before it listens).
 */
export async function startApp(
  name: AppName,
  env: Record<string, string>,
  extraEnv: Record<string, string> = {},
  /** Node flags, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs: readonly string[] = [],
): Promise<RunningApp> {
  const child = await spawnNode({
    args: [...nodeArgs, ...PRODUCTION_NODE_FLAGS, name === "baseline" ? BASELINE_MAIN : BRIDGE_MAIN],
    env: { ...env, ...(name === "baseline" ? {} : { LOG_LEVEL: "info", ...UNBOUNDED_QUEUE }), ...extraEnv },
    announce: listeningLine,
  });
  const url = String(child.announcement.url);
  try {
    const healthy = await waitFor200(`${url}/healthz`);
    await waitFor200(`${url}/${name === "baseline" ? "healthz" : "readyz"}`);
    return { name, child, url, startupMs: healthy - child.spawnedAt };
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
}
