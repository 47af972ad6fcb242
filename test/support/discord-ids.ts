/** Ids and users shared by the Discord test doubles. */

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A fresh, increasing Discord snowflake (discord.js reads timestamps out of them). */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (7n << 12n) | increment);
}

export const BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.test-token-never-logged-0123456789";
export const BOT_USER = {
  id: "1100000000000000001",
  username: "assistant-bot",
  discriminator: "0",
  global_name: "Assistant",
  avatar: null,
  bot: true,
};
export const GUILD_ID = "1200000000000000001";
export const TEXT_CHANNEL_ID = "1300000000000000001";
export const USER = {
  id: "1400000000000000001",
  username: "ada",
  discriminator: "0",
  global_name: "Ada",
  avatar: null,
};
export const OTHER_USER = {
  id: "1400000000000000002",
  username: "grace",
  discriminator: "0",
  global_name: "Grace",
  avatar: null,
};
export const DM_CHANNEL_ID = "1500000000000000001";
export const OTHER_DM_CHANNEL_ID = "1500000000000000002";

/** A message object as Discord's API and gateway send it; `fields` fill in or override the rest. */
export function messagePayload(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 0,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    ...fields,
  };
}
