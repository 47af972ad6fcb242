import type { DiscordHarness } from "./discord-harness.js";
import { BOT_USER, GUILD_ID, messagePayload, snowflake, TEXT_CHANNEL_ID, USER } from "./discord-ids.js";
import type { CreatedMessage, RestCall } from "./discord-rest.js";

/** Helpers for tests of the Discord feedback buttons: clicks and modal submissions as Discord sends them. */
export type User = typeof USER;

/** The custom_ids of a posted message's buttons, in order (👍 then 👎); empty when it has none. */
export function customIds(message: CreatedMessage): string[] {
  const rows = (message.body.components ?? []) as Array<{ components: Array<{ custom_id: string }> }>;
  return rows.flatMap((row) => row.components.map((button) => button.custom_id));
}

/** Dispatches INTERACTION_CREATE as Discord sends it for a click on `message` (or its modal's submission). */
export function interact(
  harness: DiscordHarness,
  message: CreatedMessage,
  data: Record<string, unknown>,
  options: { type: 3 | 5; user?: User; guild?: boolean },
): { id: string; token: string } {
  const id = snowflake();
  const token = `interaction-token-${id}`;
  const user = options.user ?? USER;
  const where = options.guild
    ? {
        guild_id: GUILD_ID,
        channel: {
          id: message.channelId,
          type: 11,
          guild_id: GUILD_ID,
          parent_id: TEXT_CHANNEL_ID,
          name: "t",
        },
        member: {
          user,
          roles: [],
          permissions: "0",
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
        guild_locale: "en-US",
      }
    : { channel: { id: message.channelId, type: 1, recipients: [user] }, user };
  harness.gateway.dispatch("INTERACTION_CREATE", {
    id,
    application_id: BOT_USER.id,
    type: options.type,
    token,
    version: 1,
    channel_id: message.channelId,
    ...where,
    message: messagePayload({
      id: message.id,
      channel_id: message.channelId,
      content: message.content,
      author: BOT_USER,
      components: message.body.components ?? [],
    }),
    data,
    app_permissions: "0",
    locale: "en-US",
    entitlements: [],
    authorizing_integration_owners: {},
    context: options.guild ? 0 : 1,
  });
  return { id, token };
}

export const click = (
  harness: DiscordHarness,
  message: CreatedMessage,
  customId: string,
  user?: User,
  guild = false,
) =>
  interact(
    harness,
    message,
    { custom_id: customId, component_type: 2 },
    { type: 3, ...(user ? { user } : {}), guild },
  );

export const callbackOf = (interaction: { id: string }) => (call: RestCall) =>
  call.method === "POST" && call.path.startsWith(`/interactions/${interaction.id}/`);
export const webhookOf = (interaction: { token: string }) => (call: RestCall) =>
  call.path.startsWith(`/webhooks/${BOT_USER.id}/${interaction.token}`);
