import { describe, expect, it } from "vitest";
import { FEEDBACK_ACTION_ID } from "../../../adapters/slack/render.js";
import { feedbackReplies } from "../../../src/pipeline/feedback.js";
import { BOT_ID, BOT_USER, mentionEvent, postSignedForm, TEAM } from "../../support/slack-events.js";
import { SIGNING_SECRET, type SlackHarness, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();
const ANA = { id: "U0ANA", username: "ana", name: "ana", team_id: TEAM };
const CHANNEL = "C0GENERAL";

interface Posted {
  ts: string;
  thread: string;
  blocks: Array<Record<string, unknown>> | null;
}

/** Asks a question and returns the answer as posted (its thread and blocks). */
async function ask(harness: SlackHarness, text = "hello"): Promise<Posted> {
  const before = harness.api.callsTo("chat.postMessage").length;
  expect(await harness.deliver(mentionEvent({ text: `<@${BOT_USER}> ${text}` }))).toBe(200);
  const answer = (await harness.api.waitFor("chat.postMessage", before + 1)).at(-1);
  return {
    ts: "1800000001.000100",
    thread: answer?.args.thread_ts ?? "",
    blocks: answer?.args.blocks ? (JSON.parse(answer.args.blocks) as Array<Record<string, unknown>>) : null,
  };
}

/** The value of the 👍 (1) or 👎 (0) button of a posted answer. */
function buttonValue(posted: Posted, score: 0 | 1): string {
  const actions = posted.blocks?.find((block) => block.type === "context_actions") as
    | { elements: Array<Record<string, { value: string }>> }
    | undefined;
  const element = actions?.elements[0];
  const button = score === 1 ? element?.positive_button : element?.negative_button;
  if (!button) throw new Error("the answer has no feedback buttons");
  return button.value;
}

function click(harness: SlackHarness, posted: Posted, score: 0 | 1, user = ANA) {
  return postSignedForm(
    harness.eventsUrl,
    {
      type: "block_actions",
      team: { id: TEAM, domain: "test" },
      user,
      api_app_id: "A0APP",
      token: "legacy-verification-token",
      trigger_id: "1337.42.trigger",
      container: { type: "message", message_ts: posted.ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL, name: "general" },
      message: { type: "message", ts: posted.ts, thread_ts: posted.thread, user: BOT_USER, bot_id: BOT_ID },
      response_url: "https://hooks.slack.test/actions/1",
      actions: [
        {
          type: "feedback_buttons",
          action_id: FEEDBACK_ACTION_ID,
          block_id: "b1",
          value: buttonValue(posted, score),
          text: { type: "plain_text", text: score === 1 ? "👍" : "👎" },
          action_ts: String(Date.now() / 1000),
        },
      ],
    },
    SIGNING_SECRET,
  );
}

/** Sends the 👎 modal back as submitted (with `comment`) or closed (`null`). */
function finishModal(harness: SlackHarness, view: Record<string, unknown>, comment: string | null) {
  const submitted = comment !== null;
  return postSignedForm(
    harness.eventsUrl,
    {
      type: submitted ? "view_submission" : "view_closed",
      team: { id: TEAM, domain: "test" },
      user: ANA,
      api_app_id: "A0APP",
      token: "legacy-verification-token",
      trigger_id: "1337.43.trigger",
      ...(submitted ? {} : { is_cleared: false }),
      view: {
        ...view,
        team_id: TEAM,
        app_id: "A0APP",
        bot_id: BOT_ID,
        hash: "h",
        state: {
          values: submitted ? { comment: { text: { type: "plain_text_input", value: comment } } } : {},
        },
      },
    },
    SIGNING_SECRET,
  );
}

describe("slack feedback buttons", () => {
  it("puts 👍/👎 under an answer; a click is acknowledged, recorded at Twilio and confirmed ephemerally", async () => {
    const harness = await start({ core: { feedback: true } });
    const posted = await ask(harness);
    expect(posted.blocks?.[0]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });

    const started = performance.now();
    expect((await click(harness, posted, 1)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(3000);
    const [confirmation] = await harness.api.waitFor("chat.postEphemeral", 1);
    expect(confirmation?.args).toMatchObject({
      channel: CHANNEL,
      user: ANA.id,
      thread_ts: posted.thread,
      text: feedbackReplies.recorded,
    });
    const sessionId = harness.core.simulator.received[0]?.sessionId;
    expect(harness.core.simulator.feedbacks).toMatchObject([{ session_id: sessionId, score: 1, text: "" }]);

    // The same person again: told, not recorded twice. Someone else in the thread may vote.
    await click(harness, posted, 0);
    const [open] = await harness.api.waitFor("views.open", 1);
    await finishModal(harness, JSON.parse(open?.args.view ?? "{}"), "second thoughts");
    const [, second] = await harness.api.waitFor("chat.postEphemeral", 2);
    expect(second?.args.text).toBe(feedbackReplies.already);
    await click(harness, posted, 1, { ...ANA, id: "U0BEN", username: "ben", name: "ben" });
    await harness.api.waitFor("chat.postEphemeral", 3);
    expect(harness.core.simulator.feedbacks.map((f) => f.score)).toEqual([1, 1]);
  });

  it("acknowledges a click before the feedback call has finished", async () => {
    const harness = await start({ core: { feedback: true, simulator: { latencyMs: 600 } } });
    const posted = await ask(harness);
    expect((await click(harness, posted, 1)).status).toBe(200);
    // Twilio takes 600 ms here; the click was answered without waiting for it.
    expect(harness.core.simulator.feedbacks).toEqual([]);
    await harness.api.waitFor("chat.postEphemeral", 1);
    expect(harness.core.simulator.feedbacks).toHaveLength(1);
  });

  it("asks what went wrong on 👎 and records the comment sent with the modal", async () => {
    const harness = await start({ core: { feedback: true } });
    const posted = await ask(harness);
    await click(harness, posted, 0);
    const [open] = await harness.api.waitFor("views.open", 1);
    expect(open?.args.trigger_id).toBe("1337.42.trigger");
    const view = JSON.parse(open?.args.view ?? "{}") as Record<string, unknown>;
    expect(view).toMatchObject({ type: "modal", notify_on_close: true });
    expect(harness.core.simulator.feedbacks).toEqual([]);

    expect((await finishModal(harness, view, "It ignored my question")).status).toBe(200);
    const [confirmation] = await harness.api.waitFor("chat.postEphemeral", 1);
    expect(confirmation?.args.text).toBe(feedbackReplies.recorded);
    expect(harness.core.simulator.feedbacks).toMatchObject([{ score: 0, text: "It ignored my question" }]);
  });

  it("still records the 👎 when the modal is closed without a comment", async () => {
    const harness = await start({ core: { feedback: true } });
    const posted = await ask(harness);
    await click(harness, posted, 0);
    const [open] = await harness.api.waitFor("views.open", 1);
    expect((await finishModal(harness, JSON.parse(open?.args.view ?? "{}"), null)).status).toBe(200);
    await harness.api.waitFor("chat.postEphemeral", 1);
    expect(harness.core.simulator.feedbacks).toMatchObject([{ score: 0, text: "" }]);
  });

  it("records the 👎 at once when the modal cannot be opened", async () => {
    const harness = await start({ core: { feedback: true } });
    const posted = await ask(harness);
    harness.api.fail("views.open", "expired_trigger_id");
    await click(harness, posted, 0);
    const [confirmation] = await harness.api.waitFor("chat.postEphemeral", 1);
    expect(confirmation?.args.text).toBe(feedbackReplies.recorded);
    expect(harness.core.simulator.feedbacks).toMatchObject([{ score: 0 }]);
  });

  it("puts no buttons on notices, nor anywhere with feedback off", async () => {
    const withButtons = await start({ core: { feedback: true } });
    expect((await ask(withButtons, "#fail")).blocks).toBeNull();
    await withButtons.close();
    const off = await start();
    expect((await ask(off)).blocks).toBeNull();
  });
});

describe("signed interactivity payloads that are not the bridge's own", () => {
  const foreign = [
    {
      type: "block_actions",
      actions: [{ type: "button", action_id: "another_apps_button", block_id: "x", value: "v" }],
    },
    { type: "view_submission", view: { id: "V0OLD", callback_id: "a_stale_modal", state: { values: {} } } },
    { type: "view_closed", view: { id: "V0OLD", callback_id: "a_stale_modal" } },
  ];

  it.each(foreign)("$type: answered 200 at once, logged at debug only, nothing recorded", async (payload) => {
    const harness = await start({ core: { feedback: true } });
    const response = await postSignedForm(
      harness.eventsUrl,
      { ...payload, team: { id: TEAM, domain: "test" }, user: ANA, api_app_id: "A0APP", trigger_id: "1.2.3" },
      SIGNING_SECRET,
    );
    expect(response.status).toBe(200);
    expect(harness.core.simulator.feedbacks).toEqual([]);
    const loud = harness.core.logLines.filter((line) => /"level":(40|50)/.test(line));
    expect(loud).toEqual([]);
    expect(harness.core.logLines.some((line) => line.includes("payload not used"))).toBe(true);
  });

  it("the feedback buttons' clicks are not the bridge's when FEEDBACK=off: 200, nothing recorded", async () => {
    const harness = await start();
    const response = await postSignedForm(
      harness.eventsUrl,
      {
        type: "block_actions",
        team: { id: TEAM, domain: "test" },
        user: ANA,
        actions: [{ type: "feedback_buttons", action_id: FEEDBACK_ACTION_ID, value: "stale" }],
      },
      SIGNING_SECRET,
    );
    expect(response.status).toBe(200);
  });
});
