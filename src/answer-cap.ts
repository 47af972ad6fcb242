/**
 * The ANSWER_MAX_CHARS cap. Pure. One answer of several megabytes became 1,346 Slack messages in one
 * thread: past the cap the reader gets the start and the end of the answer, and a line in between
 * saying that it was cut and how long it was.
 */

/** ANSWER_MAX_CHARS when unset: about four Slack messages or six Discord ones. */
export const DEFAULT_ANSWER_MAX_CHARS = 12_000;

/** The smallest cap that still leaves room for the cut line and some of the answer on both sides. */
export const MIN_ANSWER_MAX_CHARS = 1_000;

/** The share of the kept characters taken from the start (the rest comes from the end). */
const HEAD_SHARE = 2 / 3;
const FENCE = /^```/gm;

/** The line that replaces the middle of a cut answer (plain Markdown, readable on every platform). */
export function cutLine(totalChars: number): string {
  return `✂ … This answer was too long to show in full (${totalChars.toLocaleString("en-US")} characters): its middle was cut here. …`;
}

/**
 * `text` unchanged when it has at most `maxChars` characters; otherwise its start, the cut line and
 * its end, `maxChars` characters at most in all. Cuts fall on line or word boundaries where one is
 * near, never inside a surrogate pair, and a code block cut open is closed and re-opened, so the
 * Markdown still renders.
 */
export function capAnswer(text: string, maxChars: number): string {
  if (!(maxChars >= MIN_ANSWER_MAX_CHARS)) {
    throw new RangeError(`maxChars must be at least ${MIN_ANSWER_MAX_CHARS}, got ${maxChars}`);
  }
  if (text.length <= maxChars) return text;
  const line = `\n\n${cutLine(text.length)}\n\n`;
  // Room for a closing and a re-opening fence (and a surrogate kept whole), so the cap always holds.
  const budget = maxChars - line.length - 10;
  const headEnd = boundaryBefore(text, Math.floor(budget * HEAD_SHARE));
  const tailStart = boundaryAfter(text, text.length - (budget - headEnd));
  let head = text.slice(0, headEnd).trimEnd();
  let tail = text.slice(tailStart).trimStart();
  if (fences(head) % 2 === 1) head += "\n```";
  if (fences(text.slice(0, tailStart)) % 2 === 1) tail = `\`\`\`\n${tail}`;
  return `${head}${line}${tail}`;
}

function fences(text: string): number {
  return text.match(FENCE)?.length ?? 0;
}

/** The best cut at or before `at`: a line break, else a space, in the last tenth; else `at` itself. */
function boundaryBefore(text: string, at: number): number {
  const floor = Math.floor(at * 0.9);
  for (const separator of ["\n", " "]) {
    const found = text.lastIndexOf(separator, at - 1);
    if (found >= floor) return found;
  }
  return safe(text, at);
}

/** The best cut at or after `at`, within the next tenth of the kept tail. */
function boundaryAfter(text: string, at: number): number {
  const ceiling = at + Math.ceil((text.length - at) * 0.1);
  for (const separator of ["\n", " "]) {
    const found = text.indexOf(separator, at);
    if (found !== -1 && found <= ceiling) return found + 1;
  }
  return safe(text, at);
}

/** `at`, moved back one when it would split a surrogate pair (an emoji would turn into two broken halves). */
function safe(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
