import { Client, DiscordjsErrorCodes, GatewayIntentBits, Options, Partials, RESTEvents } from "discord.js";
import type { DiscordConfig } from "../../src/config.js";
import type { Logger } from "../../src/logger.js";
import { hostOf } from "../../src/redact-url.js";

/**
 * Exactly the gateway intents the bridge uses:
 * - Guilds: the servers, their channels and threads (GUILD_CREATE, THREAD_CREATE), so the bot knows
 *   which threads it started;
 * - GuildMessages: messages in server channels and threads;
 * - DirectMessages: DMs;
 * - MessageContent (privileged, switch it on in the Developer Portal): the text of follow-ups in the
 *   bot's threads, which do not mention it. DMs and mentions would be readable without it.
 */
export const GATEWAY_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
] as const;

/** The discord.js client the adapter runs on. Nothing is sent or connected until `login()`. */
export function createClient(config: DiscordConfig): Client {
  return new Client({
    intents: [...GATEWAY_INTENTS],
    // The gateway sends no CHANNEL_CREATE for DM channels: without this partial, DMs are dropped.
    partials: [Partials.Channel],
    // URLs are `${api}/v10/…`; the gateway URL then comes from GET /gateway/bot on this same base.
    rest: { api: config.apiUrl },
    // The bridge never reads old messages from the cache (it asks REST when it must), so keep none:
    // memory stays flat however many channels the bot hears.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
    // For anything sent through discord.js objects; the adapter's own message bodies set it themselves.
    allowedMentions: { parse: [], repliedUser: false },
  });
}

/** Network failures: the request never got an HTTP answer (Node's and undici's codes). */
const UNREACHABLE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

/**
 * Turns a failed login into a one-line error that says what to fix: the call that failed, the
 * variable and host it went to (never the token, never the whole URL).
 */
export function explainStartFailure(error: unknown, apiUrl: string): Error {
  const { code, status, method, url } = (error ?? {}) as {
    code?: unknown;
    status?: unknown;
    method?: unknown;
    url?: unknown;
  };
  const text = error instanceof Error ? error.message : String(error);
  if (code === DiscordjsErrorCodes.TokenInvalid) {
    return new Error("discord: the bot token was refused; check DISCORD_BOT_TOKEN", { cause: error });
  }
  if (/disallowed intents/i.test(text)) {
    return new Error(
      "discord: the gateway refused the intents; switch on the Message Content intent " +
        "(Developer Portal → your application → Bot → Privileged Gateway Intents)",
      { cause: error },
    );
  }
  const where = `DISCORD_API_URL (${hostOf(apiUrl)})`;
  // login() starts with GET /gateway/bot, which hands out the gateway's address.
  const call =
    typeof method === "string" && typeof url === "string" ? `${method} ${routeOf(url)}` : "GET /gateway/bot";
  if (typeof code === "string" && UNREACHABLE.test(code)) {
    return new Error(`discord: could not reach ${where} for ${call}: ${code}`, { cause: error });
  }
  if (typeof status === "number") {
    return new Error(`discord: ${call} on ${where} answered HTTP ${status}`, { cause: error });
  }
  return new Error(`discord: could not connect to the gateway: ${text}`, { cause: error });
}

/** `/gateway/bot` from `https://discord.com/api/v10/gateway/bot?x=1`. */
function routeOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/^.*\/v\d+(?=\/)/, "");
  } catch {
    return "a request";
  }
}

type State = "connecting" | "ready" | "reconnecting" | "disconnected" | "closed";

const REASONS: Record<Exclude<State, "ready">, string> = {
  connecting: "discord: connecting to the gateway",
  reconnecting: "discord: gateway reconnecting",
  disconnected: "discord: gateway disconnected and not reconnecting",
  closed: "discord: closed",
};

export interface ConnectionStatus {
  /** Null while the gateway is ready, else why not (for /readyz). */
  notReadyReason(): string | null;
  /** Marks a login that failed (not connected; discord.js will not retry it), with why, for /readyz. */
  failed(reason: string): void;
  /** Marks the connection as closed on purpose (later events are expected and not alarming). */
  closed(): void;
}

/**
 * Follows the gateway connection and logs what discord.js reports. discord.js reconnects by itself
 * (resuming when it can); every error it emits is logged here instead of being thrown, since an
 * "error" event without a listener would crash the process.
 */
export function watchConnection(client: Client, logger: Logger): ConnectionStatus {
  let state: State = "connecting";
  let failure: string | null = null;
  const set = (next: State) => {
    if (state === "closed") return;
    state = next;
    failure = null;
  };

  client.on("clientReady", () => set("ready"));
  client.on("shardReady", (shardId) => {
    if (state === "reconnecting") logger.info({ shardId }, "discord: gateway reconnected (new session)");
    set("ready");
  });
  client.on("shardResume", (shardId, replayedEvents) => {
    logger.info({ shardId, replayedEvents }, "discord: gateway resumed");
    set("ready");
  });
  client.on("shardReconnecting", (shardId) => {
    if (state === "closed") return;
    logger.warn({ shardId }, "discord: gateway connection lost; reconnecting");
    set("reconnecting");
  });
  client.on("shardDisconnect", (event, shardId) => {
    if (state === "closed") return;
    logger.error({ shardId, code: event.code }, "discord: gateway closed the connection for good");
    set("disconnected");
  });
  client.on("shardError", (error, shardId) => logger.warn({ err: error, shardId }, "discord: gateway error"));
  client.on("error", (error) => logger.error({ err: error }, "discord: client error"));
  client.on("warn", (message) => logger.warn({ detail: message }, "discord: client warning"));
  client.on("debug", (message) => logger.trace({ detail: message }, "discord: debug"));
  client.rest.on(RESTEvents.RateLimited, (info) => {
    logger.warn(
      { route: info.route, method: info.method, retryAfterMs: info.retryAfter, global: info.global },
      "discord: rate limited by Discord; the request waits",
    );
  });

  return {
    notReadyReason: () => (state === "ready" ? null : (failure ?? REASONS[state])),
    failed: (reason) => {
      set("disconnected");
      if (state !== "closed") failure = reason;
    },
    closed: () => {
      state = "closed";
    },
  };
}
