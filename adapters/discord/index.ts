import { once } from "node:events";
import type { Adapter, AdapterContext } from "../../src/adapter.js";
import type { DiscordConfig } from "../../src/config.js";
import { Access } from "./access.js";
import { contextRest, followUpRest, isGuildMember, recentMessages } from "./api.js";
import { createClient, explainStartFailure, GATEWAY_INTENTS, watchConnection } from "./client.js";
import { CommandIntake } from "./command-intake.js";
import { ContextReads } from "./context.js";
import { registerFeedback } from "./feedback.js";
import { Intake } from "./intake.js";
import { type PortOptions, threadPort } from "./port.js";
import { DmConversations } from "./sessions.js";
import { registerCommands } from "./surface.js";

export interface DiscordAdapterOptions {
  /** How often "typing…" is sent again while an answer is pending (Discord shows it ~10 s). @default 8000 */
  typingIntervalMs?: number;
}

/**
 * The Discord adapter: DMs, server mentions and the `/ask` and `/new` slash commands through
 * discord.js's gateway client. A DM channel is one conversation until `/new`; a mention (or `/ask`) in
 * a text channel starts a thread, one conversation per thread, where follow-ups need no mention.
 */
export function createDiscordAdapter(
  config: DiscordConfig,
  context: AdapterContext,
  options: DiscordAdapterOptions = {},
): Adapter {
  const { logger } = context;
  const client = createClient(config);
  const { rest } = client;
  const typingLoops = new Set<NodeJS.Timeout>();
  let taking = false;
  let stopped = false;

  const status = watchConnection(client, logger);
  const shared = {
    rest,
    sink: context.sink,
    memory: context.memory,
    logger,
    access: new Access({
      allowedGuilds: config.allowedGuilds,
      allowedUsers: config.allowedUsers,
      isMember: (guildId, userId) => isGuildMember(rest, guildId, userId),
    }),
    conversations: new DmConversations({
      memory: context.memory,
      history: (channelId, beforeId, limit) => recentMessages(rest, channelId, beforeId, limit),
    }),
    taking: () => taking,
  };
  const intake = new Intake({ client, ...shared });
  const commands = new CommandIntake(shared);
  const portOptions: PortOptions = {
    rest,
    logger,
    typingIntervalMs: options.typingIntervalMs ?? 8000,
    typingLoops,
    feedback: context.feedback,
    contextReads: new ContextReads({
      rest: contextRest(config.apiUrl, config.botToken),
      botId: () => client.user?.id,
    }),
    followUps: followUpRest(config.apiUrl),
  };
  // Listeners go on before login(): events that arrive while login() settles are not lost.
  client.on("messageCreate", (message) => intake.onMessage(message));
  client.on("interactionCreate", (interaction) => commands.onInteraction(interaction));
  registerCommands(client, { guilds: config.commandGuilds, logger });
  if (context.feedback) registerFeedback(client, { recorder: context.feedback, logger });
  // Opens intake before discord.js replays the messages it held back until it was ready.
  client.once("clientReady", () => {
    taking = !stopped;
  });

  return {
    platform: "discord",
    routes: new Map(),
    portFor(address) {
      return threadPort(address, portOptions);
    },
    async start() {
      const abort = new AbortController();
      try {
        await Promise.all([
          once(client, "clientReady", { signal: abort.signal }),
          client.login(config.botToken),
        ]);
      } catch (error) {
        const failure = explainStartFailure(error, config.apiUrl);
        status.failed(failure.message);
        throw failure;
      } finally {
        abort.abort();
      }
      logger.info({ botId: client.user?.id, intents: GATEWAY_INTENTS }, "discord: connected to the gateway");
    },
    notReadyReason() {
      if (stopped) return "discord: not taking messages (shutting down)";
      return status.notReadyReason();
    },
    async stopIntake() {
      stopped = true;
      taking = false;
      // Messages already taken (e.g. waiting for their thread) still reach the core before it drains.
      await Promise.all([intake.idle(), commands.idle()]);
    },
    async close() {
      stopped = true;
      taking = false;
      for (const loop of typingLoops) clearInterval(loop);
      typingLoops.clear();
      status.closed();
      await client.destroy();
    },
  };
}
