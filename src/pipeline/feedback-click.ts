/**
 * What happens when someone clicks 👍 or 👎 under an answer, the same on every platform: a 👍 is
 * recorded at once; a 👎 first asks what went wrong and is recorded when the comment form comes back
 * (or at once when no form can be shown). The adapters only translate: their payload into a click,
 * the form and the answer into their platform's calls.
 */
import type { FeedbackPort, VoteResult } from "../adapter.js";
import type { Logger } from "../logger.js";
import type { Platform } from "../types.js";
import { MAX_COMMENT_CHARS } from "./feedback.js";

/** The 👎 comment form, worded once for every platform (Discord allows 45 characters in a label). */
export const commentForm = {
  title: "What went wrong?",
  label: "What was wrong with the answer? (optional)",
  submit: "Send",
  skip: "Skip",
  maxChars: MAX_COMMENT_CHARS,
} as const;

/** What the person is told: a vote's result, or `expired` for a click nobody can resolve any more. */
export type ClickResult = VoteResult | "expired";

/** How a platform shows the steps of a click. */
export interface ClickSurface {
  /** Acknowledges the click before the (possibly slow) recording, where the platform needs it. */
  acknowledge(): Promise<void>;
  /** Opens the comment form of a 👎 for `token`; false when it could not be opened. */
  askComment(token: string): Promise<boolean>;
  /** Tells the person how it went. */
  answer(result: ClickResult): Promise<void>;
}

/** Who clicked what: `value` is the button's payload, `<score>:<token>` (see `clickValue`). */
export interface Click {
  platform: Platform;
  /** Unique on the platform (Slack: `<team>:<user>`, Discord: the user id). */
  voter: string;
  value: string;
}

/** A button's payload: the score and the answer's token from `FeedbackPort.pack`. */
export function clickValue(score: 0 | 1, token: string): string {
  return `${score}:${token}`;
}

/** Handles a click on 👍 or 👎. A payload the bridge did not make is logged and ignored. */
export async function onFeedbackClick(
  recorder: FeedbackPort,
  logger: Logger,
  click: Click,
  surface: ClickSurface,
): Promise<void> {
  const score = click.value.slice(0, 2);
  const token = click.value.slice(2);
  if ((score !== "0:" && score !== "1:") || token === "") {
    logger.warn({ platform: click.platform }, "feedback click with a value the bridge did not make; ignored");
    return;
  }
  if (score === "0:" && (await surface.askComment(token))) return;
  await surface.acknowledge();
  const vote: Pending = {
    platform: click.platform,
    voter: click.voter,
    token,
    score: score === "1:" ? 1 : 0,
  };
  await surface.answer(await record(recorder, logger, vote));
}

/** The comment form of a 👎 came back (sent, or closed where the platform says so): records the 👎. */
export async function onFeedbackComment(
  recorder: FeedbackPort,
  logger: Logger,
  comment: { platform: Platform; voter: string; token: string; text: string },
  surface: Pick<ClickSurface, "acknowledge" | "answer">,
): Promise<void> {
  await surface.acknowledge();
  await surface.answer(await record(recorder, logger, { ...comment, score: 0 }));
}

/** A vote before its token is resolved. */
interface Pending {
  platform: Platform;
  voter: string;
  token: string;
  score: 0 | 1;
  text?: string;
}

async function record(recorder: FeedbackPort, logger: Logger, vote: Pending): Promise<ClickResult> {
  let ref: Awaited<ReturnType<FeedbackPort["unpack"]>>;
  try {
    ref = await recorder.unpack(vote.token);
  } catch (error) {
    logger.warn({ err: error, platform: vote.platform }, "feedback: the store is unavailable");
    return "unavailable";
  }
  if (!ref) return "expired";
  const { platform, voter, score, text } = vote;
  return recorder.record({ platform, voter, ...ref, score, ...(text === undefined ? {} : { text }) });
}
