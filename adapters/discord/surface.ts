import {
  type APIApplicationCommand,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  type Client,
  InteractionContextType,
  type REST,
  type RESTPutAPIApplicationCommandsJSONBody,
  Routes,
} from "discord.js";
import type { Logger } from "../../src/logger.js";

/** The slash commands' names, as the interaction listener knows them. */
export const ASK = "ask";
export const NEW = "new";
/** The option of `/ask` that holds the question. */
export const QUESTION = "question";

/**
 * The bridge's slash commands: usable in servers and in the bot's DMs, for a bot installed on a
 * server (not as a user app: the bridge answers only where the bot is).
 */
export const COMMANDS: RESTPutAPIApplicationCommandsJSONBody = [
  {
    type: ApplicationCommandType.ChatInput,
    name: ASK,
    description: "Ask the assistant a question",
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: QUESTION,
        description: "What you want to know",
        required: true,
      },
    ],
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  {
    type: ApplicationCommandType.ChatInput,
    name: NEW,
    description: "Start a fresh conversation with the assistant (in DMs)",
    contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
];

export interface RegisterOptions {
  /** DISCORD_COMMAND_GUILDS: register in these guilds (at once) instead of globally. */
  guilds: ReadonlySet<string> | null;
  logger: Logger;
}

/**
 * Once the client is ready, makes Discord's registered commands (global, or those of each listed
 * guild) equal the bridge's own: one GET, and one bulk PUT only when they differ, since Discord allows
 * 200 command creates a day per guild and every bridge start would otherwise spend some. A failure is
 * logged: the commands registered before keep working.
 */
export function registerCommands(client: Client, options: RegisterOptions): void {
  client.once("clientReady", (ready) => {
    const applicationId = ready.application.id;
    const scopes = options.guilds === null ? [null] : [...options.guilds];
    for (const guildId of scopes) {
      syncCommands(client.rest, applicationId, guildId).then(
        (changed) =>
          options.logger.info(
            { guildId, changed },
            changed ? "discord: slash commands registered" : "discord: slash commands up to date",
          ),
        (error: unknown) =>
          options.logger.error({ err: error, guildId }, "discord: could not register the slash commands"),
      );
    }
  });
}

/** Registers `COMMANDS` globally (`guildId` null) or in one guild; true when it had to. */
async function syncCommands(rest: REST, applicationId: string, guildId: string | null): Promise<boolean> {
  const route =
    guildId === null
      ? Routes.applicationCommands(applicationId)
      : Routes.applicationGuildCommands(applicationId, guildId);
  const registered = (await rest.get(route)) as APIApplicationCommand[];
  if (sameCommands(registered, COMMANDS)) return false;
  await rest.put(route, { body: COMMANDS });
  return true;
}

/**
 * Whether Discord's registered commands are ours: the same set of names, and for each the fields the
 * bridge sets. Discord fills in ids, versions and defaults (`required: false`, empty options), which
 * do not count as a difference.
 */
export function sameCommands(
  registered: readonly object[],
  own: RESTPutAPIApplicationCommandsJSONBody,
): boolean {
  const shape = (list: readonly object[]) =>
    JSON.stringify(list.map(comparable).sort((a, b) => a.name.localeCompare(b.name)));
  return shape(registered) === shape(own);
}

/** The fields of a command the bridge sets, with Discord's defaults filled in. */
interface Comparable {
  name: string;
  type: number;
  description: string;
  options: Array<{ type: number; name: string; description: string; required: boolean }>;
  contexts: number[];
  integration_types: number[];
}

function comparable(command: object): Comparable {
  // Both Discord's answer and our own definitions carry these fields; the rest is not compared.
  const c = command as Partial<APIApplicationCommand>;
  return {
    name: c.name ?? "",
    type: c.type ?? ApplicationCommandType.ChatInput,
    description: c.description ?? "",
    options: (c.options ?? []).map((option) => ({
      type: option.type,
      name: option.name,
      description: option.description,
      required: "required" in option && option.required === true,
    })),
    contexts: [...(c.contexts ?? [])].sort(),
    integration_types: [...(c.integration_types ?? [])].sort(),
  };
}
