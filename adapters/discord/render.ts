import { createHash } from "node:crypto";
import {
  type APIActionRowComponent,
  type APIButtonComponent,
  ButtonStyle,
  ComponentType,
  type RESTPostAPIChannelMessageJSONBody,
} from "discord.js";
import { FLAGGED_WARNING } from "../../src/notices.js";
import { clickValue } from "../../src/pipeline/feedback-click.js";
import { splitMessage } from "../../src/text/split.js";
import type { Reply } from "../../src/types.js";

/** Discord refuses message content longer than this. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/**
 * The messages that show one reply, in order. Answers are Markdown, which Discord renders; a flagged
 * answer opens with the warning line in its first message; notices are shown as they are.
 */
export function renderReply(reply: Reply): string[] {
  const content = reply.kind === "flagged" ? `${FLAGGED_WARNING}\n\n${reply.text}` : reply.text;
  return splitMessage(content, { limit: DISCORD_MESSAGE_LIMIT });
}

/**
 * A nonce that is the same every time one part of the reply to one question is sent, so a POST that
 * @discordjs/rest retries after a 5xx or a timeout, or a second process answering the same question
 * during a rolling restart, cannot post twice (`enforce_nonce`). Discord takes at most 25 characters.
 */
export function nonceFor(key: string, part: number): string {
  return createHash("sha256").update(`${key}:${part}`).digest("base64url").slice(0, 25);
}

export interface MessageOptions {
  nonce: string;
  /** The message this one answers (shown as a reply, without pinging its author). */
  replyTo?: string | null;
  /** Buttons under the message (the feedback row of an answer's last message). */
  components?: APIActionRowComponent<APIButtonComponent>[];
}

/** The body of every message the bot posts: idempotent, and it can never ping anyone. */
export function messageBody(content: string, options: MessageOptions): RESTPostAPIChannelMessageJSONBody {
  const body: RESTPostAPIChannelMessageJSONBody = {
    content,
    nonce: options.nonce,
    enforce_nonce: true,
    // Empty `parse` and no `users`/`roles`: an answer that says @everyone or <@id> pings nobody.
    allowed_mentions: { parse: [], replied_user: false },
  };
  if (options.replyTo) body.message_reference = { message_id: options.replyTo, fail_if_not_exists: false };
  if (options.components) body.components = options.components;
  return body;
}

/** Every feedback custom_id starts with this, so other interaction listeners can tell them apart. */
export const FEEDBACK_PREFIX = "fb";
/** Room left for the click payload in a custom_id (100 chars) after `fb:1:` / `fbc:`. */
export const FEEDBACK_TOKEN_CHARS = 95;

/** The row of 👍/👎 under an answer: custom_id `fb:<score>:<token>`; `disabled` once the vote is in. */
export function feedbackRow(token: string, disabled = false): APIActionRowComponent<APIButtonComponent> {
  const button = (score: 0 | 1, emoji: string): APIButtonComponent => ({
    type: ComponentType.Button,
    style: ButtonStyle.Secondary,
    custom_id: `${FEEDBACK_PREFIX}:${clickValue(score, token)}`,
    emoji: { name: emoji },
    disabled,
  });
  return { type: ComponentType.ActionRow, components: [button(1, "👍"), button(0, "👎")] };
}
