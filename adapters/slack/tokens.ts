/**
 * Slack's incoming text, made readable for the assistant: `<…>` tokens become words and the three
 * escaped characters come back. Pure functions.
 */

const TOKEN = /<([^<>]*)>/g;
const USER = /^@([UW][A-Z0-9]+)(?:\|(.*))?$/;
/** Stands for a removed bot mention until the spacing around it is tidied. */
const BOT_MENTION = "\uE002";

export interface ReadableTextOptions {
  /** The bot's own user id: its mentions are removed, not rendered. */
  botUserId: string | undefined;
  /** A display name for a user id, when one is known. */
  userName(id: string): string | undefined;
}

/** User ids mentioned without an inline name (other than the bot): the names a lookup could add. */
export function unnamedMentions(text: string, botUserId: string | undefined): string[] {
  const ids = new Set<string>();
  for (const [, inner = ""] of text.matchAll(TOKEN)) {
    const user = USER.exec(inner);
    if (user?.[1] && user[1] !== botUserId && !user[2]) ids.add(user[1]);
  }
  return [...ids];
}

/** Whether the text mentions the bot (a `message` twin of an `app_mention`). */
export function mentionsUser(text: string, userId: string | undefined): boolean {
  if (!userId) return false;
  return text.includes(`<@${userId}>`) || text.includes(`<@${userId}|`);
}

/**
 * The text without the bot's mentions, with `<@U…>` → `@name` (or `@U…`), `<#C…|name>` → `#name`,
 * `<https://x|text>` → `text (https://x)`, `<!here>` → `@here`, and `&amp;` `&lt;` `&gt;` unescaped.
 */
export function readableText(text: string, options: ReadableTextOptions): string {
  const rendered = text
    .replace(/\uE002/g, "")
    .replace(TOKEN, (_, inner: string) => renderToken(inner, options));
  // "Hey @bot, what…" reads "Hey what…"; the rest of the spacing (pasted code) is left alone.
  return unescapeSlack(rendered)
    .replace(/[ \t]*\uE002[ \t]*[,:]?[ \t]*/g, " ")
    .trim();
}

function renderToken(inner: string, options: ReadableTextOptions): string {
  const user = USER.exec(inner);
  if (user) {
    const id = user[1] ?? "";
    // The bot's own mention is how the question was addressed, not part of it.
    if (id === options.botUserId) return BOT_MENTION;
    return `@${user[2] || options.userName(id) || id}`;
  }
  const [target = "", label = ""] = splitLabel(inner);
  if (target.startsWith("#")) return `#${label || target.slice(1)}`;
  if (target.startsWith("!subteam^")) return label || `@${target.slice("!subteam^".length)}`;
  if (target.startsWith("!date^")) return label || target;
  if (target.startsWith("!")) return label || `@${target.slice(1)}`;
  return renderLink(target, label);
}

function renderLink(url: string, label: string): string {
  const bare = url.replace(/^mailto:/i, "");
  if (!label) return bare;
  // Slack auto-links `example.com` as <http://example.com|example.com>: the label says it all.
  if (label === url || label === bare || `http://${label}` === url || `https://${label}` === url)
    return label;
  return `${label} (${url})`;
}

function splitLabel(inner: string): [string, string] {
  const bar = inner.indexOf("|");
  return bar < 0 ? [inner, ""] : [inner.slice(0, bar), inner.slice(bar + 1)];
}

/** Slack escapes only these three; `&amp;` goes last so `&amp;lt;` stays the text `&lt;`. */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
