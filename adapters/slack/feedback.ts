import type {
  App,
  BlockAction,
  FeedbackButtonsAction,
  types,
  ViewClosedAction,
  ViewSubmitAction,
  webApi,
} from "@slack/bolt";
import type { FeedbackPort, Vote } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { feedbackReplies, MAX_COMMENT_CHARS } from "../../src/pipeline/feedback.js";
import { FEEDBACK_ACTION_ID } from "./render.js";

export interface SlackFeedbackOptions {
  recorder: FeedbackPort;
  logger: Logger;
}

/** The 👎 comment modal's callback id, and where its text field sits in the submitted state. */
const COMMENT_CALLBACK_ID = "answer_feedback_comment";
const COMMENT_BLOCK = "comment";
const COMMENT_ACTION = "text";

/** What the modal carries from the click to its submission or close (Slack returns it signed). */
interface PendingVote {
  /** Answer id, session id, voter. */
  a: string;
  s: string;
  v: string;
  /** Channel and thread where the person gets the ephemeral confirmation. */
  c: string;
  t: string | null;
}

type Client = Pick<webApi.WebClient, "chat" | "views">;

/**
 * The feedback buttons' listeners: a 👍 is recorded at once; a 👎 opens a modal asking what went
 * wrong, and is recorded when the modal is sent (with the comment) or closed (without one), because
 * Twilio has no update: a vote recorded at the click could never get its comment. The person gets an
 * ephemeral confirmation either way. If the modal cannot be opened, the 👎 is recorded at once.
 */
export function registerFeedback(app: App, options: SlackFeedbackOptions): void {
  const { logger } = options;
  // The HTTP receiver answers only once a listener returns (processBeforeResponse), so each listener
  // acknowledges and returns at once; recording (rate-limited, retried) happens after the response.
  const later = (work: Promise<void>) => {
    work.catch((error: unknown) => logger.error({ err: error }, "slack feedback handling failed"));
  };

  app.action<BlockAction<FeedbackButtonsAction>>(
    { type: "block_actions", action_id: FEEDBACK_ACTION_ID },
    async ({ ack, body, action, client }) => {
      await ack();
      later(onClick(options, client, body, action.value));
    },
  );
  app.view<ViewSubmitAction>(
    { callback_id: COMMENT_CALLBACK_ID, type: "view_submission" },
    async ({ ack, body, view, client }) => {
      await ack();
      const text = view.state.values[COMMENT_BLOCK]?.[COMMENT_ACTION]?.value ?? "";
      later(onModalDone(options, client, body, text));
    },
  );
  app.view<ViewClosedAction>(
    { callback_id: COMMENT_CALLBACK_ID, type: "view_closed" },
    async ({ ack, body, client }) => {
      await ack();
      later(onModalDone(options, client, body, ""));
    },
  );
}

async function onClick(
  options: SlackFeedbackOptions,
  client: Client,
  body: BlockAction<FeedbackButtonsAction>,
  value: string,
): Promise<void> {
  const { recorder, logger } = options;
  const where = { c: body.channel?.id ?? "", t: body.message?.thread_ts ?? body.message?.ts ?? null };
  const tell = (text: string) => ephemeral(client, logger, where, body.user.id, text);
  const colon = value.indexOf(":");
  const score = value.slice(0, colon);
  if (score !== "0" && score !== "1") {
    logger.warn("slack feedback click with a value the bridge did not make; ignored");
    return;
  }
  let ref: Awaited<ReturnType<FeedbackPort["unpack"]>>;
  try {
    ref = await recorder.unpack(value.slice(colon + 1));
  } catch (error) {
    logger.warn({ err: error }, "slack feedback: the store is unavailable");
    return tell(feedbackReplies.unavailable);
  }
  if (!ref) return tell(feedbackReplies.expired);
  const voter = `${body.team?.id ?? body.user.team_id ?? ""}:${body.user.id}`;
  const vote: Vote = { platform: "slack", voter, ...ref, score: score === "1" ? 1 : 0 };
  if (vote.score === 0) {
    const pending: PendingVote = { a: ref.answerId, s: ref.sessionId, v: voter, ...where };
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: commentModal(pending) });
      return;
    } catch (error) {
      // The trigger lasts 3 s; a vote that cannot ask for a comment is still a vote.
      logger.warn({ err: error }, "slack feedback: could not open the comment modal");
    }
  }
  await tell(feedbackReplies[await recorder.record(vote)]);
}

async function onModalDone(
  options: SlackFeedbackOptions,
  client: Client,
  body: ViewSubmitAction | ViewClosedAction,
  text: string,
): Promise<void> {
  const pending = readPending(body.view.private_metadata);
  if (!pending) {
    options.logger.warn("slack feedback modal without the bridge's metadata; ignored");
    return;
  }
  const vote: Vote = {
    platform: "slack",
    voter: pending.v,
    answerId: pending.a,
    sessionId: pending.s,
    score: 0,
    text,
  };
  const result = await options.recorder.record(vote);
  await ephemeral(client, options.logger, pending, body.user.id, feedbackReplies[result]);
}

/** The modal a 👎 opens: one optional comment; "Skip" (close) still records the vote. */
function commentModal(pending: PendingVote): types.ModalView {
  return {
    type: "modal",
    callback_id: COMMENT_CALLBACK_ID,
    notify_on_close: true,
    private_metadata: JSON.stringify(pending),
    title: { type: "plain_text", text: "What went wrong?" },
    submit: { type: "plain_text", text: "Send" },
    close: { type: "plain_text", text: "Skip" },
    blocks: [
      {
        type: "input",
        block_id: COMMENT_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Tell us what was wrong with the answer (optional)" },
        element: {
          type: "plain_text_input",
          action_id: COMMENT_ACTION,
          multiline: true,
          max_length: MAX_COMMENT_CHARS,
        },
      },
    ],
  };
}

function readPending(metadata: string): PendingVote | null {
  try {
    const value = JSON.parse(metadata) as Partial<PendingVote>;
    const { a, s, v, c, t } = value;
    if (typeof a !== "string" || typeof s !== "string" || typeof v !== "string" || typeof c !== "string")
      return null;
    return { a, s, v, c, t: typeof t === "string" ? t : null };
  } catch {
    return null;
  }
}

async function ephemeral(
  client: Client,
  logger: Logger,
  where: Pick<PendingVote, "c" | "t">,
  user: string,
  text: string,
): Promise<void> {
  if (where.c === "") return;
  try {
    await client.chat.postEphemeral({
      channel: where.c,
      user,
      text,
      ...(where.t ? { thread_ts: where.t } : {}),
    });
  } catch (error) {
    logger.warn({ err: error }, "slack feedback: could not post the confirmation");
  }
}
