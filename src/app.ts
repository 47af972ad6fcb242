import { createConsoleAdapter } from "../adapters/console/index.js";
import type { Adapter, AdapterContext, RouteHandler } from "./adapter.js";
import { createAssistantClient } from "./assistant/index.js";
import type { Config, RedisConfig } from "./config.js";
import { type RunningHttpServer, startHttpServer } from "./http/server.js";
import type { Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { Bridge } from "./pipeline/bridge.js";
import { FeedbackRecorder } from "./pipeline/feedback.js";
import { backoffMs } from "./pipeline/retry-policy.js";
import { sleep } from "./pipeline/sleep.js";
import type { StopReport } from "./pipeline/worker.js";
import { MemoryStore } from "./state/memory-store.js";
import type { BridgeStore } from "./state/store.js";
import type { Platform } from "./types.js";

/** A terminal to chat in. */
export interface Terminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  user: string;
  /** Where the logs go (named in the greeting); null when they share the terminal. */
  logFile: string | null;
  /** A second Ctrl-C while answers are pending: the person wants out at once. */
  onLeaveNow: () => void;
}

export interface AppOptions {
  logger: Logger;
  /** Used only when no platform is configured. */
  terminal: Terminal | null;
  /** Called when the terminal chat ends (Ctrl-D, /quit). */
  onTerminalEnd: () => void;
  /** Interface the HTTP server binds. @default all interfaces */
  host?: string;
}

export interface RunningApp {
  /** The shared HTTP server's URL; null in terminal chat. */
  url: string | null;
  /** Resolves once every adapter has connected once. */
  started: Promise<void>;
  metrics: Metrics;
  /** Stops intake, drains within the grace time, closes everything. Safe to call twice. */
  stop(): Promise<StopReport>;
}

/** Says what to set when there is nothing to run. */
export class NothingToRunError extends Error {
  override name = "NothingToRunError";
  constructor() {
    super(
      "Nothing to run: no platform is configured and there is no terminal to chat in.\n" +
        "Run `npm start` in a terminal to chat, or connect a platform: set SLACK_BOT_TOKEN with\n" +
        "SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), and/or DISCORD_BOT_TOKEN.\n" +
        "Twilio credentials are optional: without them the built-in offline simulator answers.\n" +
        "See README.md (Connect Slack, Connect Discord) and docs/configuration.md.",
    );
  }
}

/** Builds and starts the whole bridge from a validated config. */
export async function startApp(config: Config, options: AppOptions): Promise<RunningApp> {
  const { logger } = options;
  const platformConfigured = config.slack !== null || config.discord !== null;
  if (!platformConfigured && options.terminal === null) throw new NothingToRunError();

  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  const assistant = await createAssistantClient(config.assistant, {
    logger,
    simulatorLatencyMs: config.simulator.latencyMs,
  });
  const { client, simulated } = assistant;
  if (simulated) {
    // Loud where a real platform is connected; the terminal chat says it in its greeting.
    logger[platformConfigured ? "warn" : "info"](`answering from ${assistant.description}`);
  }
  const { store, warnings } = await openStore(config.redis, logger.child({ component: "redis" }));
  const byPlatform = new Map<Platform, Adapter>();
  const bridge = new Bridge({
    client,
    store,
    portFor: (message) => {
      const adapter = byPlatform.get(message.platform);
      if (!adapter) throw new Error(`no ${message.platform} adapter runs in this process`);
      return adapter.portFor(message.address);
    },
    queue: config.queue,
    mode: config.assistant.mode,
    maxInputChars: config.assistant.maxInputChars,
    maxAnswerChars: config.assistant.maxAnswerChars,
    historyMaxChars: config.assistant.historyMaxChars,
    threadContext: config.threadContext,
    ...(config.redis ? { leaseMs: config.redis.leaseMs } : {}),
    logger,
    metrics,
    feedback: config.feedback === "buttons",
    quotas: config.quotas,
  });
  const feedback =
    config.feedback === "buttons"
      ? new FeedbackRecorder({
          client,
          store,
          schedule: (task) => bridge.behindQuestions(task),
          logger: logger.child({ component: "feedback" }),
          metrics,
          maxRetries: config.queue.maxRetries,
        })
      : null;

  const adapters = await createAdapters(
    config,
    options,
    { sink: bridge, memory: store, feedback },
    metrics,
    assistant.description,
  );
  for (const adapter of adapters) byPlatform.set(adapter.platform, adapter);
  bridge.start(adapters.map((adapter) => adapter.platform));
  const stopping = new AbortController();
  /** When each adapter that failed to start tries again, for /readyz. */
  const retryAt = new Map<Adapter, number>();
  let server: RunningHttpServer | null = null;
  if (platformConfigured) {
    const routes = new Map<string, RouteHandler>();
    for (const adapter of adapters) for (const [path, handler] of adapter.routes) routes.set(path, handler);
    server = await startHttpServer({
      port: config.port,
      ...(options.host === undefined ? {} : { host: options.host }),
      routes,
      metrics,
      metricsToken: config.metricsToken,
      logger,
      notReadyReasons: () =>
        notReadyReasons(adapters, store, bridge, simulated, stopping.signal.aborted, retryAt),
      warnings: () => warnings,
    });
  }
  const started = Promise.all(
    adapters.map((adapter) => keepStarting(adapter, logger, stopping.signal, retryAt)),
  ).then(() => {
    if (!stopping.signal.aborted) logger.info({ adapters: adapters.map((a) => a.platform) }, "bridge ready");
  });

  let stopped: Promise<StopReport> | undefined;
  async function stop(): Promise<StopReport> {
    stopping.abort();
    logger.info("stopping: no new messages are taken");
    await Promise.all(
      adapters.map((adapter) => settle(adapter.stopIntake(), logger, `${adapter.platform} stopIntake`)),
    );
    const report = await bridge.stop(config.shutdownGraceMs);
    logger.info(report, "drained");
    await Promise.all(
      adapters.map((adapter) => settle(adapter.close(), logger, `${adapter.platform} close`)),
    );
    await server?.close();
    await store.close();
    await assistant.close();
    return report;
  }

  return {
    url: server?.url ?? null,
    started,
    metrics,
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}

/**
 * The store the configuration asks for: Redis when REDIS_URL is set, else this process's memory;
 * with what its start-up checks warned about (for /readyz's warnings).
 */
export async function openStore(
  redis: RedisConfig | null,
  logger: Logger,
): Promise<{ store: BridgeStore; warnings: string[] }> {
  if (redis === null) return { store: new MemoryStore(), warnings: [] };
  // Loaded only when used, like the adapters: the memory mode loads no Redis client at start-up.
  const { connectRedisStore } = await import("./state/redis-store.js");
  const store = await connectRedisStore({
    url: redis.url,
    prefix: redis.prefix,
    allowEviction: redis.allowEviction,
    logger,
  });
  logger.info(
    { prefix: redis.prefix },
    "shared state on Redis: every replica with this REDIS_URL and prefix acts as one bridge",
  );
  return { store, warnings: store.evictionWarning === null ? [] : [store.evictionWarning] };
}

/** Loads only the configured platforms' code, so an unused SDK costs no start-up time. */
async function createAdapters(
  config: Config,
  options: AppOptions,
  shared: Pick<AdapterContext, "sink" | "memory" | "feedback">,
  metrics: Metrics,
  answeredBy: string,
): Promise<Adapter[]> {
  const context = (platform: string): AdapterContext => ({
    ...shared,
    metrics,
    logger: options.logger.child({ platform }),
  });
  const adapters: Adapter[] = [];
  if (config.slack) {
    const { createSlackAdapter } = await import("../adapters/slack/index.js");
    adapters.push(createSlackAdapter(config.slack, context("slack")));
  }
  if (config.discord) {
    const { createDiscordAdapter } = await import("../adapters/discord/index.js");
    adapters.push(createDiscordAdapter(config.discord, context("discord")));
  }
  if (adapters.length === 0 && options.terminal) {
    const greeting = `Terminal chat with ${answeredBy}${config.assistant.simulated ? " (nothing configured for the backend; answers are made up locally)" : ""}.`;
    adapters.push(
      createConsoleAdapter(
        { ...options.terminal, greeting, onEnd: options.onTerminalEnd },
        context("console"),
      ),
    );
  }
  return adapters;
}

function notReadyReasons(
  adapters: readonly Adapter[],
  store: BridgeStore,
  bridge: Bridge,
  simulated: boolean,
  stopping: boolean,
  retryAt: ReadonlyMap<Adapter, number>,
): string[] {
  const reasons: string[] = [];
  if (stopping) reasons.push("shutting down");
  const storeReason = store.notReadyReason();
  if (storeReason !== null) reasons.push(storeReason);
  if (simulated) reasons.push("assistant: no backend configured, answering from the offline simulator");
  const assistant = bridge.notReadyReason();
  if (assistant !== null) reasons.push(assistant);
  for (const adapter of adapters) {
    const reason = adapter.notReadyReason();
    const at = retryAt.get(adapter);
    if (reason !== null)
      reasons.push(at === undefined ? reason : `${reason}; ${retryingIn(at - Date.now())}`);
  }
  return reasons;
}

function retryingIn(delayMs: number): string {
  return delayMs > 0 ? `retrying in ${Math.ceil(delayMs / 1000)} s` : "retrying now";
}

/** Starts an adapter, retrying with back-off (a platform outage at boot must not end the process). */
async function keepStarting(
  adapter: Adapter,
  logger: Logger,
  stopping: AbortSignal,
  retryAt: Map<Adapter, number>,
): Promise<void> {
  for (let attempt = 0; !stopping.aborted; attempt++) {
    try {
      await adapter.start();
      retryAt.delete(adapter);
      return;
    } catch (error) {
      const delayMs = backoffMs(attempt);
      retryAt.set(adapter, Date.now() + delayMs);
      // One line a try: adapters word their start failures (what was called, where, which variable);
      // the stack is for debugging only.
      const why = error instanceof Error ? error.message : String(error);
      logger.error({ platform: adapter.platform, retryInMs: delayMs }, `${why}; ${retryingIn(delayMs)}`);
      logger.debug({ err: error, platform: adapter.platform }, "adapter start failure, in full");
      await sleep(delayMs, stopping);
    }
  }
}

async function settle(work: Promise<void>, logger: Logger, what: string): Promise<void> {
  try {
    await work;
  } catch (error) {
    logger.error({ err: error }, `${what} failed`);
  }
}
