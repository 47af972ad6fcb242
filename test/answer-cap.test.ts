import { describe, expect, test } from "vitest";
import { capAnswer, cutLine, MIN_ANSWER_MAX_CHARS } from "../src/answer-cap.js";
import { longAnswer } from "../src/simulator/server.js";

describe("capAnswer", () => {
  test("leaves an answer within the cap unchanged", () => {
    const text = longAnswer(5_000);
    expect(capAnswer(text, 12_000)).toBe(text);
    expect(capAnswer(text, text.length)).toBe(text);
  });

  test("keeps the start and the end of a 5 MB answer, says it was cut and how long it was", () => {
    const text = longAnswer(5_000_000);
    const capped = capAnswer(text, 12_000);
    expect(capped.length).toBeLessThanOrEqual(12_000);
    expect(capped.length).toBeGreaterThan(11_000);
    expect(capped.startsWith("Paragraph 1. The quick")).toBe(true);
    expect(capped.endsWith(text.slice(-200))).toBe(true);
    expect(capped).toContain(cutLine(text.length));
    expect(capped).toContain(`(${text.length.toLocaleString("en-US")} characters)`);
    // The start is the larger part.
    const [head = "", tail = ""] = capped.split(cutLine(text.length));
    expect(head.length).toBeGreaterThan(tail.length);
  });

  test("cuts between words, never inside one", () => {
    const text = "word ".repeat(10_000).trim();
    const capped = capAnswer(text, 2_000);
    const [head = "", tail = ""] = capped.split(cutLine(text.length)).map((part) => part.trim());
    expect(head.split(" ").every((w) => w === "word")).toBe(true);
    expect(tail.split(" ").every((w) => w === "word")).toBe(true);
  });

  test("closes and re-opens a code block it cuts through", () => {
    const text = `Intro\n\n\`\`\`\n${"const x = 1;\n".repeat(5_000)}\`\`\`\n\nThe end.`;
    const capped = capAnswer(text, 3_000);
    expect(capped.length).toBeLessThanOrEqual(3_000);
    const [head = "", tail = ""] = capped.split(cutLine(text.length));
    expect(head.match(/^```/gm)).toHaveLength(2);
    expect(tail.match(/^```/gm)).toHaveLength(2);
    expect(tail.trimEnd().endsWith("The end.")).toBe(true);
  });

  test("never splits an emoji", () => {
    const text = "😀".repeat(20_000);
    const capped = capAnswer(text, 1_001);
    expect(capped.length).toBeLessThanOrEqual(1_001);
    expect(capped).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  test("refuses a cap too small to hold the cut line", () => {
    expect(() => capAnswer("x", MIN_ANSWER_MAX_CHARS - 1)).toThrow(/at least 1000, got 999/);
  });
});
