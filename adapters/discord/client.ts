import { Client, DiscordjsErrorCodes, GatewayIntentBits, Options, Partials } from "discord.js";
import type { DiscordConfig } from "../../src/config.js";

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

/** Turns a failed login into an error that says what to fix (never quoting the token). */
export function explainStartFailure(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
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
  return new Error(`discord: could not connect to the gateway: ${text}`, { cause: error });
}
