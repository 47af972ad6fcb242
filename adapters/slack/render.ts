import { FLAGGED_WARNING } from "../../src/notices.js";
import type { Reply } from "../../src/types.js";
import { escapeMrkdwn, markdownToMrkdwn } from "./mrkdwn.js";
import { MESSAGE_CHARS, splitMessage } from "./split.js";

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
      return splitMessage(text, limit);
    }
    default:
      return splitMessage(escapeMrkdwn(reply.text), limit);
  }
}
