/**
 * Long mrkdwn → several messages, none over the limit, none losing text. Pure.
 */

/**
 * Characters per Slack message. Slack truncates `text` past 40,000 characters but advises keeping a
 * message under 4,000 (longer ones are folded behind "Show more" and are hard to read on a phone);
 * the margin leaves room for a re-opened code fence.
 */
export const MESSAGE_CHARS = 3_900;

const FENCE = "```";
const CLOSE = `\n${FENCE}`;
const REOPEN = `${FENCE}\n`;

/**
 * Splits `text` into messages of at most `limit` characters, cutting at the gentlest boundary found
 * in the second half of the window (paragraph, then line, then word). A code block cut in two is
 * closed at the end of one message and re-opened at the start of the next; a `<link|label>` or an
 * `&amp;` entity is never cut. Only the whitespace at a cut is dropped.
 */
export function splitMessage(text: string, limit: number = MESSAGE_CHARS): string[] {
  if (!(limit >= 40)) throw new RangeError(`limit must be at least 40 characters, got ${limit}`);
  const chunks: string[] = [];
  let rest = text;
  let inCode = false;
  for (;;) {
    const prefix = inCode ? REOPEN : "";
    if (prefix.length + rest.length <= limit) {
      if (rest.trim() !== "") chunks.push(prefix + rest);
      return chunks;
    }
    const { end, next } = findCut(rest, limit - prefix.length - CLOSE.length);
    const piece = rest.slice(0, end).trimEnd();
    const endsInCode: boolean = inCode !== (countFences(piece) % 2 === 1);
    if (piece !== "") chunks.push(prefix + piece + (endsInCode ? CLOSE : ""));
    rest = rest.slice(next);
    inCode = endsInCode;
  }
}

function countFences(text: string): number {
  return text.match(/^```/gm)?.length ?? 0;
}

/** Where to end this message (`end`) and where the next one starts (`next`), both ≤ `budget`. */
function findCut(text: string, budget: number): { end: number; next: number } {
  const window = text.slice(0, budget);
  const floor = Math.floor(budget / 2);
  for (const separator of ["\n\n", "\n", " "]) {
    let at = window.lastIndexOf(separator);
    // A link label has spaces too: a cut there would break the link.
    while (at >= floor && insideToken(window, at)) at = window.lastIndexOf(separator, at - 1);
    if (at >= floor) return { end: at, next: skipNewlines(text, at + separator.length) };
  }
  let end = budget;
  // Never split a surrogate pair (an emoji would turn into two broken characters).
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  const open = window.lastIndexOf("<", end - 1);
  if (open > 0 && insideToken(window, end)) end = open;
  const amp = window.lastIndexOf("&", end - 1);
  if (amp > 0 && /^&[a-z]{0,3}$/.test(window.slice(amp, end))) end = amp;
  return { end, next: end };
}

/** Whether a cut before `at` would fall inside a `<…>` token (literal `<` are escaped as `&lt;`). */
function insideToken(text: string, at: number): boolean {
  return text.lastIndexOf("<", at - 1) > text.lastIndexOf(">", at - 1);
}

function skipNewlines(text: string, from: number): number {
  let at = from;
  while (text[at] === "\n") at++;
  return at;
}
