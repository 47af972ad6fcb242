import { describe, expect, test } from "vitest";
import {
  FEEDBACK_ACTION_ID,
  MESSAGE_CHARS,
  renderMessages,
  renderReply,
  splitMrkdwn,
} from "../../../adapters/slack/render.js";
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

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describe("splitMrkdwn", () => {
  test("a short text is one message, unchanged", () => {
    expect(splitMrkdwn("hello\n\nworld", 100)).toEqual(["hello\n\nworld"]);
  });

  test("cuts at paragraph breaks first, and loses nothing but the break", () => {
    const paragraphs = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i + 1}. ${"word ".repeat(20).trim()}`,
    );
    const text = paragraphs.join("\n\n");
    const chunks = splitMrkdwn(text, 500);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(500);
      expect(chunk.startsWith("Paragraph")).toBe(true);
    }
    expect(squash(chunks.join(" "))).toBe(squash(text));
  });

  test("falls back to lines, then words, then a hard cut", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i} ${"z".repeat(20)}`);
    const byLines = splitMrkdwn(lines.join("\n"), 100);
    expect(byLines.flatMap((chunk) => chunk.split("\n"))).toEqual(lines);

    const words = "alpha beta gamma delta ".repeat(40);
    const byWords = splitMrkdwn(words, 100);
    for (const chunk of byWords) expect(chunk.length).toBeLessThanOrEqual(100);
    expect(squash(byWords.join(" "))).toBe(squash(words));
    expect(byWords.every((chunk) => /^(alpha|beta|gamma|delta)/.test(chunk))).toBe(true);

    const blob = "x".repeat(250);
    const hard = splitMrkdwn(blob, 100);
    expect(hard.join("")).toBe(blob);
    for (const chunk of hard) expect(chunk.length).toBeLessThanOrEqual(100);
  });

  test("a code block cut in two is closed and re-opened", () => {
    const code = Array.from({ length: 40 }, (_, i) => `  line(${i});`).join("\n");
    const text = `Intro\n\n\`\`\`\n${code}\n\`\`\`\n\nOutro`;
    const chunks = splitMrkdwn(text, 200);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(200);
      expect((chunk.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    const lines = chunks
      .join("\n")
      .split("\n")
      .filter((line) => line !== "```");
    expect(lines.filter((line) => line.startsWith("  line("))).toHaveLength(40);
    // Indentation inside code survives a cut.
    expect(chunks[1]?.startsWith("```\n  line(")).toBe(true);
  });

  test("never cuts inside a <link|label> or an &amp; entity", () => {
    const link = "<https://www.twilio.com/docs/a/long/path|the documentation page>";
    const text = `${"a".repeat(70)}${link}${"b".repeat(70)}`;
    for (const chunk of splitMrkdwn(text, 100)) {
      expect((chunk.match(/</g) ?? []).length).toBe((chunk.match(/>/g) ?? []).length);
    }
    // The window of 100 characters ends in "&am".
    const entities = `${"c".repeat(97)}&amp;${"d".repeat(50)}`;
    const [first, second] = splitMrkdwn(entities, 100);
    expect(first).toBe("c".repeat(97));
    expect(second?.startsWith("&amp;")).toBe(true);
  });

  test("never splits an emoji's surrogate pair", () => {
    const text = `${"e".repeat(99)}😀${"f".repeat(20)}`;
    const chunks = splitMrkdwn(text, 100);
    expect(chunks.join("")).toBe(text);
    expect(chunks[0]?.endsWith("e")).toBe(true);
  });

  test("rejects a limit too small to hold a re-opened fence (the core splitter's minimum)", () => {
    expect(() => splitMrkdwn("x", 10)).toThrow(/at least 100/);
  });

  test("the default limit stays well under Slack's advice of 4,000 characters", () => {
    expect(MESSAGE_CHARS).toBeLessThanOrEqual(4_000);
  });
});
