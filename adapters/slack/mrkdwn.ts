/**
 * Markdown → Slack mrkdwn. Models write standard Markdown and Slack's `text` field speaks mrkdwn, so
 * the conversion lives here, in code, where it can be tested. Pure functions, no Slack SDK.
 */

/** Escapes the only three characters mrkdwn reserves. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})([^`]*)$/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}>[ \t]?(.*)$/;
const TASK = /^([ \t]*)[-*+][ \t]+\[([ xX])\][ \t]+(.*)$/;
const BULLET = /^([ \t]*)[-*+][ \t]+(.*)$/;
const ORDERED = /^([ \t]*)(\d{1,9})[.)][ \t]+(.*)$/;
const TABLE_DELIMITER = /^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(\|[ \t]*:?-{1,}:?[ \t]*)+\|?[ \t]*$/;

/**
 * Converts the assistant's Markdown to mrkdwn: bold, italic, strike, links, lists, headings (bold
 * lines), quotes, rules, code blocks and tables (as code blocks, Slack has no tables), with `&` `<` `>`
 * escaped everywhere except in the link syntax it produces.
 */
export function markdownToMrkdwn(markdown: string): string {
  // Two private-use characters mark stashed spans and bold below; they never belong in a message.
  const lines = markdown
    .replace(/\r\n?/g, "\n")
    .replace(/[\uE000\uE001]/g, "")
    .split("\n");
  const out: string[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (fence !== null) {
      if (isClosingFence(line, fence)) {
        out.push("```");
        fence = null;
      } else {
        out.push(escapeMrkdwn(line));
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open?.[1]) {
      // The info string (language) is dropped: Slack would show it as the first line of code.
      fence = open[1];
      out.push("```");
      continue;
    }
    if (line.includes("|") && TABLE_DELIMITER.test(lines[i + 1] ?? "")) {
      const rows: string[] = [];
      while (i < lines.length && (lines[i] ?? "").includes("|")) rows.push(escapeMrkdwn(lines[i++] ?? ""));
      i--;
      out.push("```", ...rows, "```");
      continue;
    }
    out.push(convertLine(line));
  }
  // An unclosed fence would turn everything after it into code in the next message too.
  if (fence !== null) out.push("```");
  return out.join("\n");
}

function isClosingFence(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === (fence[0] ?? "`").repeat(trimmed.length);
}

function convertLine(line: string): string {
  const heading = HEADING.exec(line);
  if (heading) {
    const text = inline(heading[2] ?? "", "");
    return text ? `*${text}*` : "";
  }
  if (RULE.test(line)) return "──────────";
  const quote = QUOTE.exec(line);
  if (quote) return `> ${convertLine(quote[1] ?? "")}`;
  const task = TASK.exec(line);
  if (task) {
    const indent = task[1] ?? "";
    return `${indent}${bullet(indent)} ${task[2] === " " ? "☐" : "☑"} ${inline(task[3] ?? "")}`;
  }
  const item = BULLET.exec(line);
  if (item) {
    const indent = item[1] ?? "";
    return `${indent}${bullet(indent)} ${inline(item[2] ?? "")}`;
  }
  const ordered = ORDERED.exec(line);
  if (ordered) return `${ordered[1] ?? ""}${ordered[2]}. ${inline(ordered[3] ?? "")}`;
  return inline(line);
}

function bullet(indent: string): string {
  return indent.replace(/\t/g, "  ").length >= 2 ? "◦" : "•";
}

/** Inline spans. `boldMarker` is "" inside headings, which are bold already (mrkdwn cannot nest `*`). */
function inline(text: string, boldMarker = "*"): string {
  const stash: string[] = [];
  const keep = (span: string) => `\uE000${stash.push(span) - 1}\uE000`;
  let s = text
    .replace(/\\([\\`*_{}[\]()#+\-.!~|<>&])/g, (_, char: string) => keep(escapeMrkdwn(char)))
    .replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_, _ticks: string, code: string) =>
      keep(`\`${escapeMrkdwn(code)}\``),
    )
    .replace(
      /!?\[([^\]]*)\]\(\s*<?([^\s<>()]+(?:\([^\s<>()]*\))?)>?(?:\s+"[^"]*")?\s*\)/g,
      (_, label: string, url: string) => keep(link(url, label)),
    )
    .replace(/<((?:https?|mailto):[^\s<>]+)>/g, (_, url: string) => keep(link(url, "")))
    .replace(/<br\s*\/?>/gi, "\n");
  s = emphasis(escapeMrkdwn(s), boldMarker);
  // Stashed spans can hold stashed spans (code in a link label): restore until none is left.
  for (let depth = 0; depth < 3 && s.includes("\uE000"); depth++) {
    s = s.replace(/\uE000(\d+)\uE000/g, (_, n: string) => stash[Number(n)] ?? "");
  }
  return s;
}

const BOLD = "\uE001";

function emphasis(text: string, boldMarker: string): string {
  return text
    .replace(/\*\*\*(?=\S)([\s\S]*?\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`)
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/(?<![\w\\])__(?=\S)([\s\S]*?\S)__(?!\w)/g, `${BOLD}$1${BOLD}`)
    .replace(/(?<![\w*])\*([^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])/g, "_$1_")
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, "~$1~")
    .replace(/\uE001/g, boldMarker);
}

/** `<url|label>`; a link Slack cannot open (relative, anchors) keeps only its label. */
function link(url: string, label: string): string {
  // Formatting marks inside a link label are not rendered by Slack; drop them.
  const text = escapeMrkdwn(label.replace(/\*\*|__|~~|`/g, "").trim());
  if (!/^(?:https?|mailto):/i.test(url)) return text || escapeMrkdwn(url);
  const target = url.replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E").replace(/\|/g, "%7C");
  return text && text !== target ? `<${target}|${text}>` : `<${target}>`;
}
