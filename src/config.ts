import { readFileSync } from "node:fs";
import { parse as parseDotenv } from "dotenv";
import { type AssistantConfig, readAssistant } from "./config/assistant.js";
import { readQuotas } from "./config/quotas.js";
import { type Env, Reader } from "./config/reader.js";
import { unknownVariableWarnings } from "./config-warnings.js";
import type { LogLevel } from "./logger.js";
import type { QuotaConfig } from "./quotas.js";
import { DEFAULT_REDIS_PREFIX, hasHashTag } from "./state/keys.js";

export type { AssistantConfig, OpenAiSettings, TwilioSettings } from "./config/assistant.js";
export type { Env } from "./config/reader.js";

export interface QueueConfig {
  /** Calls started per window (sliding). */
  rateLimit: number;
  rateIntervalMs: number;
  concurrency: number;
  maxRetries: number;
  maxPending: number;
  maxPendingPerUser: number;
}

export interface SlackConfig {
  botToken: string;
  /** `http`: Events API on PORT (signing secret); `socket`: Socket Mode (app token). */
  mode: "http" | "socket";
  signingSecret: string | null;
  appToken: string | null;
  apiUrl: string;
  threadFollowups: boolean;
  identity: "user" | "email";
  allowedChannels: ReadonlySet<string> | null;
  allowedUsers: ReadonlySet<string> | null;
  /** SLACK_SUGGESTED_PROMPTS: shown in the bot's Messages tab (each is both title and message); at most 4. */
  suggestedPrompts: readonly string[];
  /**
   * SLACK_LOOKUPS_PER_MINUTE: conversations.replies calls a minute, look-ups of timed-out posts and
   * thread-context reads together (Tier 3, about 50, for internal apps; 1 for distributed apps outside
   * the Marketplace).
   */
  lookupsPerMinute: number;
}

export interface DiscordConfig {
  botToken: string;
  apiUrl: string;
  allowedGuilds: ReadonlySet<string> | null;
  allowedUsers: ReadonlySet<string> | null;
  /** DISCORD_COMMAND_GUILDS: register the slash commands in these guilds (at once) instead of globally. */
  commandGuilds: ReadonlySet<string> | null;
}

/** THREAD_CONTEXT: a question that starts a session inside a thread is sent with its earlier messages. */
export interface ThreadContextConfig {
  /** THREAD_CONTEXT_MAX_MESSAGES: the newest earlier messages read at most. */
  maxMessages: number;
  /** THREAD_CONTEXT_MAX_CHARS: the labelled block of earlier messages at most. */
  maxChars: number;
}

export interface RedisConfig {
  /** redis:// or rediss:// (TLS), user and password included; never log it (see redisEndpoint). */
  url: string;
  /** Before every key: one hash tag, so the store's scripts work on Redis Cluster. */
  prefix: string;
  /** A worker's hold on a session; renewed every third of it while the worker lives. */
  leaseMs: number;
  /** REDIS_ALLOW_EVICTION: start (with a warning) on a Redis whose maxmemory-policy may evict keys. */
  allowEviction: boolean;
}

export interface Config {
  assistant: AssistantConfig;
  queue: QueueConfig;
  /** Usage quotas per person and per workspace (QUOTA_*); none set: nobody is limited. */
  quotas: QuotaConfig;
  slack: SlackConfig | null;
  discord: DiscordConfig | null;
  /** Null: THREAD_CONTEXT=off. */
  threadContext: ThreadContextConfig | null;
  /** Shared state for several replicas; null keeps everything in this process's memory. */
  redis: RedisConfig | null;
  port: number;
  logLevel: LogLevel;
  /** False when LOG_LEVEL is unset (the terminal chat then logs only warnings). */
  logLevelSet: boolean;
  metricsToken: string | null;
  /** `buttons`: 👍/👎 under every answer, recorded at Twilio's Feedbacks API (or in the log); `off`: none. */
  feedback: "buttons" | "off";
  shutdownGraceMs: number;
  simulator: { port: number; latencyMs: number };
  /** Every secret value, so the logger can scrub them from any line. */
  secrets: string[];
  /** Problems that do not stop start-up (a variable the bridge does not read); main prints them. */
  warnings: string[];
}

/** Start-up stops with this: one line per bad variable, never the secret values. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly problems: string[],
    /** Shown too: a misspelt name is often why a variable counts as missing. */
    readonly warnings: string[] = [],
    /** Per problem: where its value was set and where it is documented; shown after it. */
    notes: readonly string[] = [],
  ) {
    const list = (lines: string[]) => lines.map((line) => `  - ${line}`).join("\n");
    const explained = problems.map((problem, i) => (notes[i] ? `${problem}\n      (${notes[i]})` : problem));
    super(
      `Configuration is not valid:\n${list(explained)}${warnings.length > 0 ? `\nAlso:\n${list(warnings)}` : ""}`,
    );
  }
}

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface LoadConfigOptions {
  /** A dotenv file to read below `env` (variables already in `env` win); null reads none. @default ".env" */
  envFile?: string | null;
  /** Filled with every variable name loadConfig reads (see configVariables). */
  readNames?: Set<string>;
}

/** Reads, validates and types the whole configuration. The only place that looks at the environment. */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const file = readEnvFile(options.envFile === undefined ? ".env" : options.envFile);
  const merged = { ...file, ...env };
  const fromFile = new Set(Object.keys(file).filter((name) => !env[name]?.trim()));
  const read = new Reader(merged, options.readNames, fromFile);

  const assistant = readAssistant(read);
  const queue: QueueConfig = {
    rateLimit: read.int("ASSISTANT_RATE_LIMIT", 10, 1),
    rateIntervalMs: read.int("ASSISTANT_RATE_INTERVAL_MS", 1000, 1),
    concurrency: read.int("ASSISTANT_CONCURRENCY", 10, 1),
    maxRetries: read.int("ASSISTANT_MAX_RETRIES", 3, 0),
    maxPending: read.int("QUEUE_MAX_PENDING", 1000, 1),
    maxPendingPerUser: read.int("QUEUE_MAX_PENDING_PER_USER", 5, 1),
  };
  const config: Config = {
    assistant,
    queue,
    quotas: readQuotas(read),
    slack: readSlack(read),
    discord: readDiscord(read),
    threadContext: readThreadContext(read),
    redis: readRedis(read),
    port: read.int("PORT", 3000, 0, 65535),
    logLevel: read.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    logLevelSet: read.optional("LOG_LEVEL") !== null,
    metricsToken: read.secret("METRICS_TOKEN"),
    feedback: read.oneOf("FEEDBACK", ["buttons", "off"] as const, "buttons"),
    shutdownGraceMs: read.int("SHUTDOWN_GRACE_MS", 25_000, 0),
    simulator: {
      port: read.int("SIMULATOR_PORT", 4010, 0, 65535),
      latencyMs: read.int("SIMULATOR_LATENCY_MS", 300, 0),
    },
    secrets: read.secrets,
    // After every read: the Reader knows then each name loadConfig asked for.
    warnings: unknownVariableWarnings(
      Object.keys(merged).filter((name) => merged[name]?.trim()),
      read.names,
    ),
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems, config.warnings, read.notes);
  return config;
}

function readEnvFile(path: string | null): Env {
  if (path === null) return {};
  try {
    return parseDotenv(readFileSync(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

function readSlack(read: Reader): SlackConfig | null {
  const botToken = read.secret("SLACK_BOT_TOKEN");
  const signingSecret = read.secret("SLACK_SIGNING_SECRET");
  const appToken = read.secret("SLACK_APP_TOKEN");
  const common = {
    apiUrl: read.url("SLACK_API_URL", "https://slack.com/api/", true),
    threadFollowups: read.bool("SLACK_THREAD_FOLLOWUPS", true),
    identity: read.oneOf("SLACK_IDENTITY", ["user", "email"] as const, "user"),
    allowedChannels: read.list("SLACK_ALLOWED_CHANNELS"),
    allowedUsers: read.list("SLACK_ALLOWED_USERS"),
    suggestedPrompts: readSuggestedPrompts(read),
    lookupsPerMinute: read.int("SLACK_LOOKUPS_PER_MINUTE", 50, 1, 1000),
  };
  if (!botToken) {
    if (signingSecret || appToken)
      read.problem("SLACK_BOT_TOKEN is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set");
    return null;
  }
  if (!botToken.startsWith("xoxb-")) read.problem("SLACK_BOT_TOKEN must be a bot token starting with xoxb-");
  if (appToken && !appToken.startsWith("xapp-"))
    read.problem("SLACK_APP_TOKEN must be an app-level token starting with xapp-");
  if (!signingSecret && !appToken) {
    read.problem(
      "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) is required with SLACK_BOT_TOKEN",
    );
  }
  return { botToken, mode: appToken ? "socket" : "http", signingSecret, appToken, ...common };
}

function readDiscord(read: Reader): DiscordConfig | null {
  const botToken = read.secret("DISCORD_BOT_TOKEN");
  const common = {
    apiUrl: read.url("DISCORD_API_URL", "https://discord.com/api"),
    allowedGuilds: read.list("DISCORD_ALLOWED_GUILDS"),
    allowedUsers: read.list("DISCORD_ALLOWED_USERS"),
    commandGuilds: read.list("DISCORD_COMMAND_GUILDS"),
  };
  for (const id of common.commandGuilds ?? []) {
    if (!/^\d{17,20}$/.test(id))
      read.problem(`DISCORD_COMMAND_GUILDS must list guild ids (digits), got "${id}"`);
  }
  if (!botToken) return null;
  return { botToken, ...common };
}

/** Slack pages `conversations.replies` by 200 and Discord returns at most 100 messages a call. */
const MAX_CONTEXT_MESSAGES = 100;

function readThreadContext(read: Reader): ThreadContextConfig | null {
  const on = read.bool("THREAD_CONTEXT", true);
  const maxMessages = read.int("THREAD_CONTEXT_MAX_MESSAGES", 20, 1, MAX_CONTEXT_MESSAGES);
  const maxChars = read.int("THREAD_CONTEXT_MAX_CHARS", 4_000, 200);
  return on ? { maxMessages, maxChars } : null;
}

function readRedis(read: Reader): RedisConfig | null {
  const url = read.optional("REDIS_URL");
  const prefix = read.optional("REDIS_PREFIX") ?? DEFAULT_REDIS_PREFIX;
  const leaseMs = read.int("REDIS_LEASE_MS", 30_000, 100);
  const allowEviction = read.bool("REDIS_ALLOW_EVICTION", false);
  if (!hasHashTag(prefix)) {
    read.problem(
      `REDIS_PREFIX must begin with one hash tag such as {bridge}: (Redis Cluster runs a script only on keys of one slot), got "${prefix}"`,
    );
  }
  if (url === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The value may hold a password: never echo it.
    read.problem("REDIS_URL must be a URL such as redis://user:password@host:6379 or rediss://… for TLS");
    return null;
  }
  for (const secret of [parsed.password, decodeOrSelf(parsed.password)]) {
    if (secret) read.secrets.push(secret);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    read.problem(`REDIS_URL must start with redis:// or rediss:// (TLS), got "${parsed.protocol}//…"`);
  } else if (!parsed.hostname) {
    read.problem("REDIS_URL has no host");
  }
  return { url, prefix, leaseMs, allowEviction };
}

/** node-redis decodes the URL's password; a malformed escape stays as written. */
function decodeOrSelf(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Slack shows at most four suggested prompts. */
const MAX_SUGGESTED_PROMPTS = 4;

/** `|`-separated prompts; unset or empty: none. */
function readSuggestedPrompts(read: Reader): string[] {
  const raw = read.optional("SLACK_SUGGESTED_PROMPTS");
  if (raw === null) return [];
  const prompts = raw.split("|").map((prompt) => prompt.trim());
  if (prompts.some((prompt) => prompt === "")) {
    read.problem(`SLACK_SUGGESTED_PROMPTS has an empty prompt (prompts are separated by "|"), got "${raw}"`);
  }
  if (prompts.length > MAX_SUGGESTED_PROMPTS) {
    read.problem(
      `SLACK_SUGGESTED_PROMPTS may list at most ${MAX_SUGGESTED_PROMPTS} prompts, got ${prompts.length}`,
    );
  }
  return prompts.filter((prompt) => prompt !== "").slice(0, MAX_SUGGESTED_PROMPTS);
}

/** Every variable loadConfig reads, sorted: docs/configuration.md documents each (test/docs.test.ts). */
export function configVariables(): string[] {
  const names = new Set<string>();
  loadConfig({}, { envFile: null, readNames: names });
  return [...names].sort();
}
