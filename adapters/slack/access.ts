import type { SlackConfig } from "../../src/config.js";
import type { IncomingMessage } from "./events.js";

/** For a mention outside SLACK_ALLOWED_CHANNELS. */
export const REFUSAL_CHANNEL =
  "Sorry, I'm not set up to answer in this channel. Please ask me in a channel where I'm enabled, or contact your Slack admin.";

/** For a person not in SLACK_ALLOWED_USERS. */
export const REFUSAL_USER =
  "Sorry, I'm not set up to answer your questions. If you think you should have access, please contact your Slack admin.";

/**
 * The allow-lists: the refusal a message gets, or null when it may be answered. SLACK_ALLOWED_CHANNELS
 * is about channels: direct messages are governed by SLACK_ALLOWED_USERS alone. How often a refusal
 * is said is the core's rule (src/refusals.ts).
 */
export function refusalFor(
  config: Pick<SlackConfig, "allowedChannels" | "allowedUsers">,
  message: Pick<IncomingMessage, "trigger" | "channel" | "user">,
): string | null {
  const { allowedChannels, allowedUsers } = config;
  if (allowedChannels !== null && message.trigger !== "dm" && !allowedChannels.has(message.channel))
    return REFUSAL_CHANNEL;
  if (allowedUsers !== null && !allowedUsers.has(message.user)) return REFUSAL_USER;
  return null;
}
