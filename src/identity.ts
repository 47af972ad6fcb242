import type { ChatMessage } from "./types.js";

/** Keeps ids ASCII and free of the separators the formats use (Twilio tools split identity on `:`). */
function clean(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]/g, "-");
}

/** Twilio identity, `user_id:<platform>_<workspace>_<user>`, e.g. `user_id:slack_T123_U456`. */
export function identityFor(
  message: Pick<ChatMessage, "platform" | "workspace" | "user" | "identity">,
): string {
  if (message.identity) return message.identity;
  return `user_id:${clean(message.platform)}_${clean(message.workspace)}_${clean(message.user)}`;
}

/** Twilio session id, one per thread: `<platform>__<workspace>/<channel>/<thread>`. */
export function sessionIdFor(
  message: Pick<ChatMessage, "platform" | "workspace" | "channel" | "thread">,
): string {
  return `${clean(message.platform)}__${clean(message.workspace)}/${clean(message.channel)}/${clean(message.thread)}`;
}

/** The thread key that logs carry: `<platform>:<workspace>:<channel>:<thread>`. */
export function threadKeyFor(
  message: Pick<ChatMessage, "platform" | "workspace" | "channel" | "thread">,
): string {
  return `${message.platform}:${message.workspace}:${message.channel}:${message.thread}`;
}
