import { type PostContext, PostInterruptedError, type ThreadPort } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { MIN_SPLIT_LIMIT } from "../../src/text/split.js";
import type { Reply, ReplyAddress } from "../../src/types.js";
import { callWithin, type SlackCaller, SlackPlatformError } from "./api.js";
import type { SlackThreadReader } from "./context.js";
import type { CredentialHealth } from "./credentials.js";
import type { WorkingIndicator } from "./indicator.js";
import type { SlackMetrics } from "./metrics.js";
import { escapeMrkdwn } from "./mrkdwn.js";
import { SlackDeadlineError, type SlackPoster, SlackPostStoppedError } from "./poster.js";
import { renderMessages, type SlackMessage, splitMrkdwn } from "./render.js";
import { undeliverableNotice } from "./wording.js";

/** Where a question was asked: replies go to its thread, the indicator on the question itself. */
export interface SlackTarget {
  /** The workspace (the DM status falls back to the reaction per workspace). */
  team: string;
  /** A direct message (the indicator is the thread's status there). */
  dm: boolean;
  channel: string;
  /** The thread root ts. */
  thread: string;
  /** The question's own ts. */
  ts: string;
  /** Who asked: told by DM when the thread cannot take the reply (null: unknown, no DM). */
  user: string | null;
}

/** What every Slack port shares; built once by the adapter. */
export interface SlackPortDeps {
  poster: SlackPoster;
  /** The Web API, for what goes around the poster (a message only the asker sees). */
  call: SlackCaller;
  indicator: WorkingIndicator;
  /** Whether the bot token works: with a revoked one no reply can be posted. */
  health: Pick<CredentialHealth, "usable">;
  logger: Logger;
  metrics: SlackMetrics;
  /** Reads a thread's earlier messages for a question marked `context` by the intake. */
  threads: SlackThreadReader;
  /**
   * The time one reply's posts may spend on calls that fail or hang and on finding out whether they
   * were made (429 waits are not counted); then the post is given up, counted and logged.
   */
  hangBudgetMs: number;
}

/**
 * Errors after which the thread cannot take the reply but the person can still be reached in their
 * DM with the app (`chat.postMessage` to a user id needs no other scope than `chat:write`).
 */
const DM_INSTEAD: ReadonlySet<string> = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "restricted_action_non_threadable_channel",
  "thread_not_found",
  "cannot_reply_to_message",
]);

/** The core's handle on one Slack thread: its reply's messages in order, through the per-channel poster. */
export function threadPort(deps: SlackPortDeps, address: ReplyAddress): ThreadPort {
  const target = slackTarget(address);
  // Slack clears a thread's status when the app posts there: the indicator need not do it then.
  let posted = false;
  return {
    async post(reply: Reply, context?: PostContext) {
      if (reply.quiet && target.user !== null) return postQuietly(deps, target, target.user, reply);
      await postMessages(deps, target, renderMessages(reply), {
        requestId: reply.requestId,
        key: reply.requestId,
        // Recovered: a worker that stopped may have posted it, at the earliest when the question came.
        ...(context?.recovered ? { lookFirst: { since: Number(target.ts) * 1000 } } : {}),
        signal: context?.signal ?? NEVER,
      });
      posted = true;
    },
    canReply() {
      return deps.health.usable();
    },
    startWorking() {
      return deps.indicator.start(target, () => posted);
    },
    async readContext(maxMessages, signal) {
      // Marked by the intake: a mention that starts a session in the middle of a thread.
      if (address.context !== true) return [];
      return deps.threads.read(target, maxMessages, signal);
    },
  };
}

/** Posts a short notice of the adapter's own (a refusal, a hint) in the question's thread. */
export function postNotice(
  deps: SlackPortDeps,
  target: SlackTarget,
  text: string,
  key: string,
): Promise<void> {
  return postMessages(deps, target, [{ text: escapeMrkdwn(text) }], { requestId: null, key, signal: NEVER });
}

/** The signal of a post nobody stops (a notice of the adapter's own). */
const NEVER = new AbortController().signal;

/** An ephemeral notice is one call, made once: it is never looked up or repeated. */
const EPHEMERAL_TIMEOUT_MS = 10_000;

/**
 * A refusal the channel was told already (over quota): only the asker sees it, in the thread
 * (`chat.postEphemeral`), so a busy channel is not filled with refusals.
 */
async function postQuietly(deps: SlackPortDeps, target: SlackTarget, user: string, reply: Reply) {
  const args = { channel: target.channel, user, thread_ts: target.thread, text: escapeMrkdwn(reply.text) };
  await callWithin(deps.call, "chat.postEphemeral", args, EPHEMERAL_TIMEOUT_MS);
}

/**
 * Posts `messages` one after another within the reply's time. A message Slack finds too long is
 * sent again as shorter ones; when the thread cannot take the reply (the bot left the channel, it
 * was archived…) the person gets it by DM with a line saying why. Other refusals reject.
 */
async function postMessages(
  deps: SlackPortDeps,
  target: SlackTarget,
  messages: readonly SlackMessage[],
  ids: {
    requestId: string | null;
    key: string;
    signal: AbortSignal;
    lookFirst?: { since: number };
  },
): Promise<void> {
  const { poster, metrics } = deps;
  const log = deps.logger.child({ requestId: ids.requestId, channel: target.channel });
  const { signal } = ids;
  const budget = poster.budget(deps.hangBudgetMs);
  const thread = { channel: target.channel, thread: target.thread };
  for (const [index, message] of messages.entries()) {
    const key = `${ids.key}:${index}`;
    try {
      const lookFirst = ids.lookFirst ? { lookFirst: ids.lookFirst } : {};
      if ((await poster.post(thread, message, { key, budget, signal, ...lookFirst })) === "unconfirmed") {
        // The answer was kept and looked for as long as the budget allowed: what became of it is unknown.
        metrics.postErrors.inc({ error: "unconfirmed" });
        log.error(
          { part: index, hangBudgetMs: deps.hangBudgetMs },
          "gave up on a slack post: it timed out and its thread could not show whether it was made",
        );
      }
    } catch (error) {
      if (error instanceof SlackPostStoppedError) throw new PostInterruptedError(error.message);
      if (error instanceof SlackDeadlineError) metrics.postErrors.inc({ error: "deadline" });
      if (!(error instanceof SlackPlatformError)) throw error;
      metrics.postErrors.inc({ error: error.code });
      if (error.code === "msg_too_long") {
        // Slack's own limit was lower than ours: send it in halves (the splitter keeps 100 at least).
        // (Plain text: the feedback buttons of a last message that was too long are left off.)
        const { text } = message;
        const shorter = splitMrkdwn(text, Math.max(MIN_SPLIT_LIMIT, Math.floor(text.length / 2)));
        for (const [part, piece] of shorter.entries()) {
          await poster.post(thread, { text: piece }, { key: `${key}.${part}`, budget, signal });
        }
        metrics.fallbacks.inc({ via: "shorter" });
        log.warn({ part: index, pieces: shorter.length }, "slack found a message too long; sent it shorter");
        continue;
      }
      // A DM channel that refuses is the person's own: there is nowhere else to reach them.
      if (!DM_INSTEAD.has(error.code) || target.dm || target.user === null) throw error;
      const dm = { channel: target.user, thread: null };
      const notice = escapeMrkdwn(undeliverableNotice(error.code)).replace(
        "{channel}",
        `<#${target.channel}>`,
      );
      for (const [part, piece] of [{ text: notice }, ...messages.slice(index)].entries()) {
        await poster.post(dm, piece, { key: `${key}:dm${part}`, budget, signal });
      }
      metrics.fallbacks.inc({ via: "dm" });
      log.warn({ error: error.code }, "slack refused the reply in its thread; sent it to the person by DM");
      return;
    }
  }
}

/** The address a Slack message was stored with, checked: a malformed one is a bug, not a reply. */
function slackTarget(address: ReplyAddress): SlackTarget {
  const { team, dm, channel, thread, ts, user } = address;
  if (
    typeof team !== "string" ||
    typeof dm !== "boolean" ||
    typeof channel !== "string" ||
    typeof thread !== "string" ||
    typeof ts !== "string"
  ) {
    throw new Error("not a Slack reply address");
  }
  // Addresses stored before `user` was added have none: such a reply just gets no DM fallback.
  return { team, dm, channel, thread, ts, user: typeof user === "string" ? user : null };
}
