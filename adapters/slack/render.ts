import { FLAGGED_WARNING } from "../../src/notices.js";
import type { Reply } from "../../src/types.js";
import { escapeMrkdwn, markdownToMrkdwn } from "./mrkdwn.js";
import { MESSAGE_CHARS, splitMessage } from "./split.js";

/** What users see if the assistant answered with nothing at all (Slack refuses an empty message). */
export const EMPTY_ANSWER = "The assistant sent an empty answer. Please ask again, perhaps in other words.";

/**
 * The Slack messages for one reply, in order: answers as mrkdwn, flagged answers under the warning
 * (in the first message, so it is never separated from the start of the answer), notices as plain text.
 */
export function renderReply(reply: Reply, limit: number = MESSAGE_CHARS): string[] {
  switch (reply.kind) {
    case "answer":
    case "flagged": {
      const body = reply.text.trim() === "" ? escapeMrkdwn(EMPTY_ANSWER) : markdownToMrkdwn(reply.text);
      const text = reply.kind === "flagged" ? `${escapeMrkdwn(FLAGGED_WARNING)}\n\n${body}` : body;
      return splitMessage(text, limit);
    }
    default:
      return splitMessage(escapeMrkdwn(reply.text), limit);
  }
}
