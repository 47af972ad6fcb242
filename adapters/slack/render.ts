import type { types } from "@slack/bolt";
import { FLAGGED_WARNING } from "../../src/notices.js";
import { encodeRef } from "../../src/pipeline/feedback.js";
import { clickValue } from "../../src/pipeline/feedback-click.js";
import { splitMessage } from "../../src/text/split.js";
import type { Reply } from "../../src/types.js";
import { escapeMrkdwn, markdownToMrkdwn } from "./mrkdwn.js";

/**
 * Characters per Slack message. Slack truncates `text` past 40,000 characters but advises keeping a
 * message under 4,000 (longer ones are folded behind "Show more" and are hard to read on a phone);
 * the margin leaves room for a re-opened code fence.
 */
export const MESSAGE_CHARS = 3_900;

/** What a message break must not cut: `<url|label>`, `<@U…>`, `<#C…|name>` tokens and `&amp;` entities. */
const TOKENS = /<[^<>]*>|&(?:amp|lt|gt);/g;

/** Long mrkdwn → messages of at most `limit` characters (the core's splitter, Slack's tokens kept whole). */
export function splitMrkdwn(text: string, limit: number = MESSAGE_CHARS): string[] {
  return splitMessage(text, { limit, unbreakable: TOKENS });
}

/**
 * The Slack messages for one reply, in order: answers as mrkdwn, flagged answers under the warning
 * (in the first message, so it is never separated from the start of the answer), notices as plain text.
 */
export function renderReply(reply: Reply, limit: number = MESSAGE_CHARS): string[] {
  switch (reply.kind) {
    case "answer":
    case "flagged": {
      const body = markdownToMrkdwn(reply.text);
      const text = reply.kind === "flagged" ? `${escapeMrkdwn(FLAGGED_WARNING)}\n\n${body}` : body;
      return splitMrkdwn(text, limit);
    }
    default:
      return splitMrkdwn(escapeMrkdwn(reply.text), limit);
  }
}

/** One Slack message: `text` is shown (and notified) when there are no blocks, the fallback when there are. */
export interface SlackMessage {
  text: string;
  blocks?: types.KnownBlock[];
}

/** The action_id of the feedback buttons (the adapter's block_actions listener matches it). */
export const FEEDBACK_ACTION_ID = "answer_feedback";
/** Slack's limit on a button's `value`. */
const VALUE_CHARS = 2000;
/** Slack's limit on a section block's text. */
const SECTION_CHARS = 3000;

/**
 * The messages of a reply, ready to post: as `renderReply`, and when the reply carries a FeedbackRef
 * the last message shows its text in section blocks followed by the 👍/👎 feedback buttons. A button
 * value holds `<score>:<answer id>|<session id>`: everything any replica needs, and no secret.
 */
export function renderMessages(reply: Reply, limit: number = MESSAGE_CHARS): SlackMessage[] {
  const messages: SlackMessage[] = renderReply(reply, limit).map((text) => ({ text }));
  const last = messages.at(-1);
  if (!reply.feedback || !last) return messages;
  const token = encodeRef(reply.feedback);
  // Session ids are short in practice; one too long for a button value gets no buttons rather than a failed post.
  if (token.length + 2 > VALUE_CHARS) return messages;
  last.blocks = [
    ...splitMrkdwn(last.text, SECTION_CHARS).map(
      (text): types.KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } }),
    ),
    {
      type: "context_actions",
      elements: [
        {
          type: "feedback_buttons",
          action_id: FEEDBACK_ACTION_ID,
          positive_button: {
            text: { type: "plain_text", text: "👍" },
            value: clickValue(1, token),
            accessibility_label: "Good answer",
          },
          negative_button: {
            text: { type: "plain_text", text: "👎" },
            value: clickValue(0, token),
            accessibility_label: "Bad answer",
          },
        },
      ],
    },
  ];
  return messages;
}
