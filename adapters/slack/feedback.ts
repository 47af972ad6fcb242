import type {
  App,
  BlockAction,
  FeedbackButtonsAction,
  types,
  ViewClosedAction,
  ViewSubmitAction,
} from "@slack/bolt";
import type { FeedbackPort } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { feedbackReplies } from "../../src/pipeline/feedback.js";
import {
  type ClickResult,
  commentForm,
  onFeedbackClick,
  onFeedbackComment,
} from "../../src/pipeline/feedback-click.js";
import { callWithin, type SlackCaller } from "./api.js";
import { FEEDBACK_ACTION_ID } from "./render.js";

export interface SlackFeedbackOptions {
  recorder: FeedbackPort;
  /** The adapter's Web API transport (the modal and the confirmation). */
  call: SlackCaller;
  logger: Logger;
}

/** The 👎 comment modal's callback id, and where its text field sits in the submitted state. */
const COMMENT_CALLBACK_ID = "answer_feedback_comment";
const COMMENT_BLOCK = "comment";
const COMMENT_ACTION = "text";

/** What the modal carries from the click to its submission or close (Slack returns it signed). */
interface PendingVote {
  /** The answer's token (the button's payload) and the voter. */
  k: string;
  v: string;
  /** Channel and thread where the person gets the ephemeral confirmation. */
  c: string;
  t: string | null;
}

/**
 * Whether an interactivity payload is the bridge's own: a click on its feedback buttons, or its 👎
 * comment modal sent or closed. Anything else (another app's button, a stale modal) is answered 200
 * at once by the events guard instead of reaching Bolt, which would answer 404 after 3 s and log it.
 */
export function isFeedbackPayload(body: Readonly<Record<string, unknown>>): boolean {
  if (body.type === "block_actions") {
    const actions = Array.isArray(body.actions) ? (body.actions as unknown[]) : [];
    return actions.some((action) => (action as { action_id?: unknown })?.action_id === FEEDBACK_ACTION_ID);
  }
  if (body.type === "view_submission" || body.type === "view_closed") {
    return (body.view as { callback_id?: unknown } | undefined)?.callback_id === COMMENT_CALLBACK_ID;
  }
  return false;
}

/** The modal and the confirmation must come within Slack's 3 s trigger; never worth a long wait. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * The feedback buttons' listeners, translating for the core's click flow (src/pipeline/feedback-click.ts):
 * a 👎's comment form is a modal, recorded when it is sent (with the comment) or closed (without one),
 * because Twilio has no update: a vote recorded at the click could never get its comment. The person
 * gets an ephemeral confirmation either way.
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
    async ({ ack, body, action }) => {
      await ack();
      later(onClick(options, body, action.value));
    },
  );
  app.view<ViewSubmitAction>(
    { callback_id: COMMENT_CALLBACK_ID, type: "view_submission" },
    async ({ ack, body, view }) => {
      await ack();
      const text = view.state.values[COMMENT_BLOCK]?.[COMMENT_ACTION]?.value ?? "";
      later(onModalDone(options, body, text));
    },
  );
  app.view<ViewClosedAction>(
    { callback_id: COMMENT_CALLBACK_ID, type: "view_closed" },
    async ({ ack, body }) => {
      await ack();
      later(onModalDone(options, body, ""));
    },
  );
}

/** Bolt acknowledged the click in the listener already. */
const acknowledged = async () => {};

function onClick(
  options: SlackFeedbackOptions,
  body: BlockAction<FeedbackButtonsAction>,
  value: string,
): Promise<void> {
  const { recorder, logger, call } = options;
  const where = { c: body.channel?.id ?? "", t: body.message?.thread_ts ?? body.message?.ts ?? null };
  const voter = `${body.team?.id ?? body.user.team_id ?? ""}:${body.user.id}`;
  return onFeedbackClick(
    recorder,
    logger,
    { platform: "slack", voter, value },
    {
      acknowledge: acknowledged,
      askComment: async (token) => {
        try {
          const view = commentModal({ k: token, v: voter, ...where });
          const args = { trigger_id: body.trigger_id, view: JSON.stringify(view) };
          await callWithin(call, "views.open", args, CALL_TIMEOUT_MS);
          return true;
        } catch (error) {
          // The trigger lasts 3 s; a vote that cannot ask for a comment is still a vote.
          logger.warn({ err: error }, "slack feedback: could not open the comment modal");
          return false;
        }
      },
      answer: (result) => confirm(call, logger, where, body.user.id, result),
    },
  );
}

async function onModalDone(
  options: SlackFeedbackOptions,
  body: ViewSubmitAction | ViewClosedAction,
  text: string,
): Promise<void> {
  const { recorder, logger, call } = options;
  const pending = readPending(body.view.private_metadata);
  if (!pending) {
    logger.warn("slack feedback modal without the bridge's metadata; ignored");
    return;
  }
  await onFeedbackComment(
    recorder,
    logger,
    { platform: "slack", voter: pending.v, token: pending.k, text },
    {
      acknowledge: acknowledged,
      answer: (result) => confirm(call, logger, pending, body.user.id, result),
    },
  );
}

/** The modal a 👎 opens: one optional comment; "Skip" (close) still records the vote. */
function commentModal(pending: PendingVote): types.ModalView {
  return {
    type: "modal",
    callback_id: COMMENT_CALLBACK_ID,
    notify_on_close: true,
    private_metadata: JSON.stringify(pending),
    title: { type: "plain_text", text: commentForm.title },
    submit: { type: "plain_text", text: commentForm.submit },
    close: { type: "plain_text", text: commentForm.skip },
    blocks: [
      {
        type: "input",
        block_id: COMMENT_BLOCK,
        optional: true,
        label: { type: "plain_text", text: commentForm.label },
        element: {
          type: "plain_text_input",
          action_id: COMMENT_ACTION,
          multiline: true,
          max_length: commentForm.maxChars,
        },
      },
    ],
  };
}

function readPending(metadata: string): PendingVote | null {
  try {
    const value = JSON.parse(metadata) as Partial<PendingVote>;
    const { k, v, c, t } = value;
    if (typeof k !== "string" || typeof v !== "string" || typeof c !== "string") return null;
    return { k, v, c, t: typeof t === "string" ? t : null };
  } catch {
    return null;
  }
}

/** The ephemeral confirmation in the answer's thread. */
async function confirm(
  call: SlackCaller,
  logger: Logger,
  where: Pick<PendingVote, "c" | "t">,
  user: string,
  result: ClickResult,
): Promise<void> {
  if (where.c === "") return;
  try {
    const args = { channel: where.c, user, text: feedbackReplies[result], thread_ts: where.t ?? undefined };
    await callWithin(call, "chat.postEphemeral", args, CALL_TIMEOUT_MS);
  } catch (error) {
    logger.warn({ err: error }, "slack feedback: could not post the confirmation");
  }
}
