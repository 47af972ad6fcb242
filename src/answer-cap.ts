/**
 * The ANSWER_MAX_CHARS cap. Pure. One answer of several megabytes became 1,346 Slack messages in one
 * thread: past the cap the reader gets the start and the end of the answer, and a line in between
 * saying that it was cut and how long it was.
 */
import { firstPart, reopenLine, scanFences, surrogateSafe } from "./text/split.js";

/** ANSWER_MAX_CHARS when unset: about four Slack messages or six Discord ones. */
export const DEFAULT_ANSWER_MAX_CHARS = 12_000;

/** The smallest cap that still leaves room for the cut line and some of the answer on both sides. */
export const MIN_ANSWER_MAX_CHARS = 1_000;

/** The share of the kept characters taken from the start (the rest comes from the end). */
const HEAD_SHARE = 2 / 3;
/** Room kept for the fence that reopens a code block in the tail (the head closes its own). */
const REOPEN_ROOM = 40;

/** The line that replaces the middle of a cut answer (plain Markdown, readable on every platform). */
export function cutLine(totalChars: number): string {
  return `✂ … This answer was too long to show in full (${totalChars.toLocaleString("en-US")} characters): its middle was cut here. …`;
}

/**
 * `text` unchanged when it has at most `maxChars` characters; otherwise its start, the cut line and
 * its end, `maxChars` characters at most in all. The start is the splitter's first message (cut at a
 * paragraph, line or word, its code block closed); the end starts at a line or word boundary where
 * one is near, never inside a surrogate pair, with the code block it starts in re-opened, so the
 * Markdown still renders.
 */
export function capAnswer(text: string, maxChars: number): string {
  if (!(maxChars >= MIN_ANSWER_MAX_CHARS)) {
    throw new RangeError(`maxChars must be at least ${MIN_ANSWER_MAX_CHARS}, got ${maxChars}`);
  }
  if (text.length <= maxChars) return text;
  const line = `\n\n${cutLine(text.length)}\n\n`;
  const budget = maxChars - line.length - REOPEN_ROOM;
  const head = firstPart(text, Math.floor(budget * HEAD_SHARE)).trimEnd();
  const tailStart = boundaryAfter(text, text.length - (budget - head.length));
  const tail = reopenLine(scanFences(text, 0, tailStart, null)) + text.slice(tailStart).trimStart();
  return `${head}${line}${tail}`;
}

/** The best cut at or after `at`, within the next tenth of the kept tail. */
function boundaryAfter(text: string, at: number): number {
  const ceiling = at + Math.ceil((text.length - at) * 0.1);
  for (const separator of ["\n", " "]) {
    const found = text.indexOf(separator, at);
    if (found !== -1 && found <= ceiling) return found + 1;
  }
  return surrogateSafe(text, at);
}
