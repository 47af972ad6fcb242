import { describe, expect, test } from "vitest";
import { MESSAGE_CHARS, splitMessage } from "../../../adapters/slack/split.js";

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describe("splitMessage", () => {
  test("a short text is one message, unchanged", () => {
    expect(splitMessage("hello\n\nworld", 100)).toEqual(["hello\n\nworld"]);
  });

  test("cuts at paragraph breaks first, and loses nothing but the break", () => {
    const paragraphs = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i + 1}. ${"word ".repeat(20).trim()}`,
    );
    const text = paragraphs.join("\n\n");
    const chunks = splitMessage(text, 500);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(500);
      expect(chunk.startsWith("Paragraph")).toBe(true);
    }
    expect(squash(chunks.join(" "))).toBe(squash(text));
  });

  test("falls back to lines, then words, then a hard cut", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i} ${"z".repeat(20)}`);
    const byLines = splitMessage(lines.join("\n"), 100);
    expect(byLines.flatMap((chunk) => chunk.split("\n"))).toEqual(lines);

    const words = "alpha beta gamma delta ".repeat(40);
    const byWords = splitMessage(words, 100);
    for (const chunk of byWords) expect(chunk.length).toBeLessThanOrEqual(100);
    expect(squash(byWords.join(" "))).toBe(squash(words));
    expect(byWords.every((chunk) => /^(alpha|beta|gamma|delta)/.test(chunk))).toBe(true);

    const blob = "x".repeat(250);
    const hard = splitMessage(blob, 100);
    expect(hard.join("")).toBe(blob);
    for (const chunk of hard) expect(chunk.length).toBeLessThanOrEqual(100);
  });

  test("a code block cut in two is closed and re-opened", () => {
    const code = Array.from({ length: 40 }, (_, i) => `  line(${i});`).join("\n");
    const text = `Intro\n\n\`\`\`\n${code}\n\`\`\`\n\nOutro`;
    const chunks = splitMessage(text, 200);
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
    for (const chunk of splitMessage(text, 100)) {
      expect((chunk.match(/</g) ?? []).length).toBe((chunk.match(/>/g) ?? []).length);
    }
    // 100 minus room for a closing fence leaves 96: the window ends in "&a".
    const entities = `${"c".repeat(94)}&amp;${"d".repeat(50)}`;
    const [first, second] = splitMessage(entities, 100);
    expect(first).toBe("c".repeat(94));
    expect(second?.startsWith("&amp;")).toBe(true);
  });

  test("never splits an emoji's surrogate pair", () => {
    const text = `${"e".repeat(99)}😀${"f".repeat(20)}`;
    const chunks = splitMessage(text, 100);
    expect(chunks.join("")).toBe(text);
    expect(chunks[0]?.endsWith("e")).toBe(true);
  });

  test("rejects a limit too small to hold a re-opened fence", () => {
    expect(() => splitMessage("x", 10)).toThrow(/at least 40/);
  });

  test("the default limit stays well under Slack's advice of 4,000 characters", () => {
    expect(MESSAGE_CHARS).toBeLessThanOrEqual(4_000);
  });
});
