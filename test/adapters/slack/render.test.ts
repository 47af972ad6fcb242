import { expect, test } from "vitest";
import { FEEDBACK_ACTION_ID, renderMessages, renderReply } from "../../../adapters/slack/render.js";
import { FLAGGED_WARNING, notices } from "../../../src/notices.js";

test("answers are converted to mrkdwn", () => {
  expect(
    renderReply({ kind: "answer", text: "**Yes** & [docs](https://x.test)", requestId: "r", feedback: null }),
  ).toEqual(["*Yes* &amp; <https://x.test|docs>"]);
});

test("a flagged answer carries the warning at the top of its first message", () => {
  const messages = renderReply({ kind: "flagged", text: "Risky *answer*", requestId: "r", feedback: null });
  expect(messages).toEqual([`${FLAGGED_WARNING}\n\nRisky _answer_`]);
  expect(messages[0]).toContain("⚠");
  expect(messages[0]).toContain("safety checks flagged");
});

test("a long flagged answer keeps the warning in the first message only", () => {
  const messages = renderReply(
    { kind: "flagged", text: "word ".repeat(400), requestId: "r", feedback: null },
    500,
  );
  expect(messages.length).toBeGreaterThan(1);
  expect(messages[0]?.startsWith(FLAGGED_WARNING)).toBe(true);
  expect(messages.slice(1).some((m) => m.includes(FLAGGED_WARNING))).toBe(false);
});

test("notices are plain text: escaped, never converted", () => {
  expect(
    renderReply({
      kind: "failure",
      text: notices.failure("abcdef123456"),
      requestId: "abcdef123456",
      feedback: null,
    }),
  ).toEqual([notices.failure("abcdef123456")]);
  expect(renderReply({ kind: "busy", text: "a *b* <c>", requestId: "r", feedback: null })).toEqual([
    "a *b* &lt;c&gt;",
  ]);
});

test("only the last message of an answer carries the feedback buttons, its text in sections", () => {
  const feedback = { sessionId: "slack__T/C/1.2", answerId: "a-1" };
  const messages = renderMessages(
    { kind: "answer", text: "word ".repeat(400), requestId: "a-1", feedback },
    500,
  );
  expect(messages.length).toBeGreaterThan(1);
  expect(messages.slice(0, -1).every((m) => m.blocks === undefined)).toBe(true);
  const last = messages.at(-1);
  expect(last?.blocks?.[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: last?.text } });
  expect(last?.blocks?.at(-1)).toMatchObject({
    type: "context_actions",
    elements: [
      {
        type: "feedback_buttons",
        action_id: FEEDBACK_ACTION_ID,
        positive_button: { value: "1:a-1|slack__T/C/1.2" },
        negative_button: { value: "0:a-1|slack__T/C/1.2" },
      },
    ],
  });
});

test("notices and replies without a FeedbackRef get no blocks", () => {
  const feedback = { sessionId: "s", answerId: "a" };
  expect(renderMessages({ kind: "busy", text: "busy", requestId: "r", feedback: null })).toEqual([
    { text: "busy" },
  ]);
  expect(renderMessages({ kind: "answer", text: "hi", requestId: "r", feedback: null })).toEqual([
    { text: "hi" },
  ]);
  // A session id too long for a button value: the answer is posted without buttons rather than refused.
  const huge = { ...feedback, sessionId: "x".repeat(2000) };
  expect(renderMessages({ kind: "answer", text: "hi", requestId: "r", feedback: huge })).toEqual([
    { text: "hi" },
  ]);
});
