import { expect, test } from "vitest";
import { renderReply } from "../../../adapters/slack/render.js";
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
