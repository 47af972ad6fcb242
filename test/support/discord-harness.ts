import { afterEach } from "vitest";
import { createDiscordAdapter, type DiscordAdapterOptions } from "../../adapters/discord/index.js";
import type { Adapter, SharedMemory } from "../../src/adapter.js";
import type { DiscordConfig } from "../../src/config.js";
import type { Logger } from "../../src/logger.js";
import { type CoreOptions, startCore, type TestCore } from "./core.js";
import {
  type DiscordGatewayDouble,
  type GatewayDoubleOptions,
  startDiscordGateway,
} from "./discord-gateway.js";
import {
  BOT_TOKEN,
  BOT_USER,
  DM_CHANNEL_ID,
  GUILD_ID,
  messagePayload,
  snowflake,
  TEXT_CHANNEL_ID,
  USER,
} from "./discord-ids.js";
import { type DiscordRestDouble, startDiscordRest } from "./discord-rest.js";

export interface HarnessOptions {
  core?: CoreOptions;
  config?: Partial<DiscordConfig>;
  adapter?: DiscordAdapterOptions;
  onIdentify?: GatewayDoubleOptions["onIdentify"];
  /** Skips `adapter.start()` (for tests of start-up failures). */
  start?: boolean;
  /** The adapter's logger. @default the core's (in memory, debug level) */
  logger?: Logger;
}

type Author = typeof USER & { bot?: boolean };

export interface MessageOptions {
  author?: Author;
  channelId?: string;
  type?: number;
  /** Extra MESSAGE_CREATE fields (e.g. `webhook_id`). */
  extra?: Record<string, unknown>;
}

// --- issue 13: slash commands ---
export interface CommandOptions {
  /** `/ask`'s question. */
  question?: string;
  /** Where it is used. @default "dm" */
  where?: "dm" | "text" | { thread: string };
  author?: Author;
  /** The interaction type. @default 2 (application command) */
  type?: number;
}
// --- end issue 13 ---

export interface DiscordHarness {
  core: TestCore;
  gateway: DiscordGatewayDouble;
  rest: DiscordRestDouble;
  /** The current adapter (a new one after `restart()`). */
  readonly adapter: Adapter;
  /**
   * Closes the adapter and starts a new one on the same doubles, as a process restart would; with
   * `memory`, the new one gets that memory (a fresh MemoryStore: a restart without Redis).
   */
  restart(options?: { memory?: SharedMemory }): Promise<void>;
  /** Dispatches a DM from `author` (default USER) and returns its message id. */
  dm(text: string, options?: MessageOptions): string;
  /** Dispatches a server message that mentions the bot; returns its id. */
  mention(text: string, options?: MessageOptions): string;
  /** Dispatches a server message without a mention (in a channel or thread); returns its id. */
  say(text: string, options?: MessageOptions): string;
  // --- issue 13: slash commands ---
  /** Dispatches a slash command (INTERACTION_CREATE); returns its id and token. */
  command(name: string, options?: CommandOptions): { id: string; token: string };
  // --- end issue 13 ---
  close(): Promise<void>;
}

/** The guild the gateway double announces: one text channel, the @everyone role. */
export function testGuild(): Record<string, unknown> {
  return {
    id: GUILD_ID,
    name: "Test server",
    icon: null,
    owner_id: USER.id,
    unavailable: false,
    large: false,
    member_count: 2,
    joined_at: new Date().toISOString(),
    features: [],
    channels: [
      {
        id: TEXT_CHANNEL_ID,
        type: 0,
        name: "general",
        position: 0,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
      },
    ],
    threads: [],
    members: [],
    roles: [
      {
        id: GUILD_ID,
        name: "@everyone",
        permissions: "0",
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
    ],
    emojis: [],
    stickers: [],
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}

/** The real adapter and core against a loopback gateway, REST double and assistant simulator. */
export async function startDiscordHarness(options: HarnessOptions = {}): Promise<DiscordHarness> {
  const core = await startCore(options.core);
  const gateway = await startDiscordGateway({
    guilds: [testGuild()],
    // Natural heartbeats never come during a test, so `roundTrip()` is a clean barrier.
    heartbeatIntervalMs: 3_600_000,
    ...(options.onIdentify ? { onIdentify: options.onIdentify } : {}),
  });
  const rest = await startDiscordRest({
    guildId: GUILD_ID,
    gatewayUrl: () => gateway.url,
    // Discord tells the thread's creator about it on the gateway.
    onThreadCreated: (thread) => gateway.dispatch("THREAD_CREATE", { ...thread, newly_created: true }),
  });
  const newAdapter = (memory: SharedMemory = core.store) =>
    createDiscordAdapter(
      {
        botToken: BOT_TOKEN,
        apiUrl: rest.url,
        allowedGuilds: null,
        allowedUsers: null,
        commandGuilds: null,
        ...options.config,
      },
      {
        sink: core.bridge,
        memory,
        metrics: core.metrics,
        logger: options.logger ?? core.logger,
        feedback: core.recorder,
      },
      options.adapter,
    );
  let adapter = newAdapter();
  core.adapters.set("discord", adapter);

  const message = (text: string, where: Record<string, unknown>, options: MessageOptions = {}) => {
    const id = snowflake();
    const payload = messagePayload({
      id,
      content: text,
      author: options.author ?? USER,
      type: options.type ?? 0,
      ...where,
      ...options.extra,
    });
    rest.remember(String(payload.channel_id), payload);
    gateway.dispatch("MESSAGE_CREATE", payload);
    return id;
  };
  const member = { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 };

  const harness: DiscordHarness = {
    core,
    gateway,
    rest,
    get adapter() {
      return adapter;
    },
    async restart(restartOptions = {}) {
      await adapter.close();
      adapter = newAdapter(restartOptions.memory);
      core.adapters.set("discord", adapter);
      await adapter.start();
    },
    dm: (text, options) =>
      message(text, { channel_id: options?.channelId ?? DM_CHANNEL_ID, channel_type: 1 }, options),
    mention: (text, options) =>
      message(
        `<@${BOT_USER.id}> ${text}`,
        {
          channel_id: options?.channelId ?? TEXT_CHANNEL_ID,
          channel_type: options?.channelId ? 11 : 0,
          guild_id: GUILD_ID,
          member,
          mentions: [BOT_USER],
        },
        options,
      ),
    say: (text, options) =>
      message(
        text,
        {
          channel_id: options?.channelId ?? TEXT_CHANNEL_ID,
          channel_type: options?.channelId ? 11 : 0,
          guild_id: GUILD_ID,
          member,
        },
        options,
      ),
    // --- issue 13: slash commands ---
    command(name, options = {}) {
      const id = snowflake();
      const token = `interaction-token-${id}-secret`;
      const author = options.author ?? USER;
      const where = options.where ?? "dm";
      const channel =
        where === "dm"
          ? { id: DM_CHANNEL_ID, type: 1, recipients: [author] }
          : where === "text"
            ? { id: TEXT_CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: "general" }
            : {
                id: where.thread,
                type: 11,
                guild_id: GUILD_ID,
                parent_id: TEXT_CHANNEL_ID,
                owner_id: BOT_USER.id,
              };
      rest.interactions.set(token, {
        id,
        channelId: channel.id,
        callbacks: [],
        original: null,
        deleted: false,
        followUps: [],
        expired: false,
      });
      const inGuild = where !== "dm";
      gateway.dispatch("INTERACTION_CREATE", {
        id,
        application_id: BOT_USER.id,
        type: options.type ?? 2,
        token,
        version: 1,
        data:
          options.type === undefined || options.type === 2
            ? {
                id: "1600000000000000001",
                name,
                type: 1,
                ...(options.question === undefined
                  ? {}
                  : { options: [{ name: "question", type: 3, value: options.question }] }),
              }
            : { custom_id: "feedback:up", component_type: 2 },
        ...(options.type === 3
          ? {
              message: messagePayload({
                id: snowflake(),
                channel_id: channel.id,
                content: "an answer",
                author: BOT_USER,
              }),
            }
          : {}),
        channel_id: channel.id,
        channel,
        ...(inGuild
          ? { guild_id: GUILD_ID, member: { ...member, user: author, permissions: "0" } }
          : { user: author }),
        app_permissions: "0",
        locale: "en-US",
        entitlements: [],
        authorizing_integration_owners: { "0": GUILD_ID },
        context: inGuild ? 0 : 1,
      });
      return { id, token };
    },
    // --- end issue 13 ---
    async close() {
      await core.close();
      await adapter.close();
      await gateway.close();
      await rest.close();
    },
  };
  if (options.start !== false) {
    try {
      await adapter.start();
    } catch (error) {
      await harness.close();
      throw error;
    }
  }
  return harness;
}

/** For a test file: each test starts its own harness with the returned function; it is closed after the test. */
export function useDiscordHarness(): (options?: HarnessOptions) => Promise<DiscordHarness> {
  let harness: DiscordHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  return async (options = {}) => {
    harness = await startDiscordHarness(options);
    return harness;
  };
}

/**
 * A thread of the test guild's text channel that this client never saw created (one from before a
 * restart, or someone else's), as GET /channels/:id returns it; its id.
 */
export function seedThread(
  h: DiscordHarness,
  thread: { owner: string; name: string; extra?: Record<string, unknown> },
): string {
  const id = snowflake();
  h.rest.channels.set(id, {
    id,
    type: 11,
    guild_id: GUILD_ID,
    parent_id: TEXT_CHANNEL_ID,
    owner_id: thread.owner,
    name: thread.name,
    ...thread.extra,
  });
  return id;
}
