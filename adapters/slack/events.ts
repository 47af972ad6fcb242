/**
 * Which Slack events are questions, and what they are about. Pure: the adapter passes the raw Events
 * API envelope and event, and what it knows (the bot's id, the threads it is answering).
 */
import { mentionsUser } from "./tokens.js";

/** Why the bot takes a message: a mention, a direct message, or a reply in a thread it is answering. */
export type Trigger = "mention" | "dm" | "followup";

/** A Slack message the bot should answer, before its text is made readable. */
export interface IncomingMessage {
  trigger: Trigger;
  team: string;
  channel: string;
  /** The message's own ts (where the working indicator goes). */
  ts: string;
  /** The thread root ts: the message's `thread_ts`, or its own ts at top level. */
  thread: string;
  user: string;
  /** Slack-formatted text, tokens and entities still in. */
  text: string;
  /**
   * The Enterprise Grid organisation, when the app is installed org-wide: then one person is one
   * user across the organisation's workspaces. Null for a single-workspace install.
   */
  enterprise: string | null;
}

export type Classification = { take: true; message: IncomingMessage } | { take: false; reason: string };

export interface ClassifyContext {
  botUserId: string | undefined;
  threadFollowups: boolean;
  isActiveThread(key: string): boolean;
}

/**
 * Subtypes that are still a person writing a new message: a reply also sent to the channel, and a
 * message with a file attached. Every other subtype (edits, deletions, joins, bot messages, topic
 * changes…) is not a question.
 */
const HUMAN_SUBTYPES: ReadonlySet<string> = new Set(["thread_broadcast", "file_share"]);

const TS = /^\d+\.\d+$/;

/** Decides whether an `app_mention` or `message` event is a question for the bot. */
export function classifyEvent(body: unknown, event: unknown, context: ClassifyContext): Classification {
  if (!isRecord(event)) return skip("malformed: the event is not an object");
  const { type, subtype, bot_id: botId, user, channel, ts, thread_ts: threadTs, text } = event;
  if (type !== "app_mention" && type !== "message") return skip(`not a message event (${String(type)})`);
  if (subtype === "bot_message" || botId !== undefined) return skip("a bot's message");
  if (subtype !== undefined && (typeof subtype !== "string" || !HUMAN_SUBTYPES.has(subtype))) {
    return skip(`subtype ${String(subtype)}`);
  }
  const team = teamOf(body, event);
  if (team === null) return skip("malformed: no team id");
  if (typeof user !== "string" || user === "") return skip("malformed: no user");
  if (typeof channel !== "string" || channel === "") return skip("malformed: no channel");
  if (typeof ts !== "string" || !TS.test(ts)) return skip("malformed: no valid ts");
  if (threadTs !== undefined && (typeof threadTs !== "string" || !TS.test(threadTs))) {
    return skip("malformed: thread_ts is not a ts");
  }
  if (text !== undefined && typeof text !== "string") return skip("malformed: text is not a string");
  if (user === context.botUserId) return skip("the bot's own message");

  const thread = threadTs ?? ts;
  const message = (trigger: Trigger): Classification => ({
    take: true,
    message: {
      trigger,
      team,
      channel,
      ts,
      thread,
      user,
      text: text ?? "",
      enterprise: orgWideEnterprise(body),
    },
  });
  if (type === "app_mention") return message("mention");
  if (event.channel_type === "im") return message("dm");
  // The `message` twin of an app_mention: taking it too makes a lost app_mention harmless (same id).
  if (mentionsUser(text ?? "", context.botUserId)) return message("mention");
  if (
    context.threadFollowups &&
    threadTs !== undefined &&
    context.isActiveThread(threadKey(team, channel, thread))
  ) {
    return message("followup");
  }
  return skip("a channel message that is not for the bot");
}

/** The key of a thread (active-thread memory, per-thread ordering). */
export function threadKey(team: string, channel: string, thread: string): string {
  return `${team}/${channel}/${thread}`;
}

/** The dedupe id the core uses: one per Slack message, whatever event or retry carried it. */
export function messageId(message: Pick<IncomingMessage, "team" | "channel" | "ts">): string {
  return `${message.team}/${message.channel}/${message.ts}`;
}

/** The installation's team (stable across an event's twins and retries), else the event's own. */
function teamOf(body: unknown, event: Record<string, unknown>): string | null {
  const fromBody = isRecord(body) ? body.team_id : undefined;
  if (typeof fromBody === "string" && fromBody !== "") return fromBody;
  return typeof event.team === "string" && event.team !== "" ? event.team : null;
}

/**
 * The enterprise id of an org-wide install, from the envelope (`is_enterprise_install` and
 * `enterprise_id`, or the same fields of `authorizations[0]`); null for any other install, even one
 * in a Grid workspace, so its identities keep today's per-workspace format.
 */
function orgWideEnterprise(body: unknown): string | null {
  if (!isRecord(body)) return null;
  const authorization = Array.isArray(body.authorizations) ? body.authorizations[0] : undefined;
  const auth = isRecord(authorization) ? authorization : {};
  const orgWide = body.is_enterprise_install === true || auth.is_enterprise_install === true;
  const enterprise = nonEmpty(body.enterprise_id) ?? nonEmpty(auth.enterprise_id);
  return orgWide ? enterprise : null;
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function skip(reason: string): Classification {
  return { take: false, reason };
}
