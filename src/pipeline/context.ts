/**
 * The question with the conversation it was asked in: a clearly labelled block of the earlier
 * messages, then the question. Pure. The assistant must tell the two apart (it answers the question,
 * the block is background), so both are delimited by fixed lines.
 */
import type { ContextMessage } from "../types.js";

export const CONTEXT_HEADER = "Earlier messages in this thread (for context):";
export const CONTEXT_FOOTER = "End of earlier messages.";
export const QUESTION_LABEL = "Question: ";
/** How the bot's own earlier answers are labelled. */
export const ASSISTANT_SPEAKER = "Assistant (you)";
/** A message cut to fit ends with this. */
const CUT_MARK = " […]";
/** A message is cut to fit only when this much of it can still be shown; else older ones are left out. */
const MIN_CUT_CHARS = 40;

export interface ComposeLimits {
  /** The newest messages kept at most. */
  maxMessages: number;
  /** The block's characters at most, its labels included. */
  maxContextChars: number;
  /** The whole body's characters at most (block and question); the question itself is never cut. */
  maxTotalChars: number;
}

/**
 * The body to send: the block of the newest earlier messages that fit, then the question. The plain
 * question when there is nothing to add or no room for even one message.
 */
export function composeQuestion(
  question: string,
  earlier: readonly ContextMessage[],
  limits: ComposeLimits,
): string {
  // The block is the header, one line per message, the footer; a blank line and the label follow it.
  const room = Math.min(
    limits.maxContextChars,
    limits.maxTotalChars - question.length - QUESTION_LABEL.length - 2,
  );
  let left = room - (CONTEXT_HEADER.length + 1 + CONTEXT_FOOTER.length);
  const kept: string[] = [];
  const candidates = earlier.slice(-Math.max(0, limits.maxMessages)).filter((m) => m.text.trim() !== "");
  // Newest first, so the messages nearest the question are the ones kept.
  for (let index = candidates.length - 1; index >= 0 && left > 0; index--) {
    const line = lineOf(candidates[index] as ContextMessage);
    if (line.length + 1 <= left) {
      kept.push(line);
      left -= line.length + 1;
      continue;
    }
    if (left - 1 - CUT_MARK.length >= MIN_CUT_CHARS)
      kept.push(`${line.slice(0, left - 1 - CUT_MARK.length)}${CUT_MARK}`);
    break;
  }
  if (kept.length === 0) return question;
  return [CONTEXT_HEADER, ...kept.reverse(), CONTEXT_FOOTER, "", `${QUESTION_LABEL}${question}`].join("\n");
}

/** One message on its line(s): `Speaker: text`, later lines indented so each message stays one item. */
function lineOf(message: ContextMessage): string {
  const speaker = message.fromAssistant
    ? ASSISTANT_SPEAKER
    : message.speaker.replace(/\s+/g, " ").trim() || "someone";
  const text = message.text.trim().replace(/\r\n?/g, "\n").replace(/\n/g, "\n  ");
  return `${speaker}: ${text}`;
}
