import { describe, expect, it } from "vitest";
import {
  ASSISTANT_SPEAKER,
  CONTEXT_FOOTER,
  CONTEXT_HEADER,
  composeQuestion,
  QUESTION_LABEL,
} from "../../src/pipeline/context.js";
import type { ContextMessage } from "../../src/types.js";

const roomy = { maxMessages: 20, maxContextChars: 4_000, maxTotalChars: 4_000 };
const said = (speaker: string, text: string): ContextMessage => ({ speaker, fromAssistant: false, text });

describe("composeQuestion", () => {
  it("labels the earlier messages and the question, oldest first", () => {
    const body = composeQuestion(
      "is that right?",
      [
        said("Ada", "The deploy failed at 3pm."),
        { speaker: "bridge", fromAssistant: true, text: "Which service?" },
        said("Grace", "billing"),
      ],
      roomy,
    );
    expect(body).toBe(
      [
        CONTEXT_HEADER,
        "Ada: The deploy failed at 3pm.",
        `${ASSISTANT_SPEAKER}: Which service?`,
        "Grace: billing",
        CONTEXT_FOOTER,
        "",
        `${QUESTION_LABEL}is that right?`,
      ].join("\n"),
    );
  });

  it("is the plain question when there is nothing earlier", () => {
    expect(composeQuestion("hello", [], roomy)).toBe("hello");
    expect(composeQuestion("hello", [said("Ada", "  ")], roomy)).toBe("hello");
  });

  it("indents a message's later lines so each message stays one item", () => {
    const body = composeQuestion("q", [said("Ada", "line one\nline two")], roomy);
    expect(body).toContain("Ada: line one\n  line two\n");
  });

  it("keeps the newest messages when there are more than allowed", () => {
    const earlier = Array.from({ length: 10 }, (_, i) => said("Ada", `message ${i}`));
    const body = composeQuestion("q", earlier, { ...roomy, maxMessages: 3 });
    expect(body).toContain("message 7\nAda: message 8\nAda: message 9\n");
    expect(body).not.toContain("message 6");
  });

  it("keeps the newest messages that fit the character budget, the block included", () => {
    const earlier = Array.from({ length: 50 }, (_, i) => said("Ada", `message number ${i} `.repeat(3)));
    const body = composeQuestion("q", earlier, { ...roomy, maxContextChars: 400 });
    const block = body.slice(0, body.indexOf(`\n\n${QUESTION_LABEL}`));
    expect(block.length).toBeLessThanOrEqual(400);
    expect(block).toContain("message number 49");
    expect(block).not.toContain("message number 40 ");
    expect(block.endsWith(CONTEXT_FOOTER)).toBe(true);
  });

  it("stays within the whole body's limit and never cuts the question", () => {
    const question = "x".repeat(900);
    const earlier = Array.from({ length: 30 }, (_, i) => said("Ada", `message ${i} ${"y".repeat(40)}`));
    const body = composeQuestion(question, earlier, { ...roomy, maxTotalChars: 1_200 });
    expect(body.length).toBeLessThanOrEqual(1_200);
    expect(body.endsWith(`${QUESTION_LABEL}${question}`)).toBe(true);
    expect(body).toContain("message 29");
  });

  it("cuts the newest message to fit when it alone is too long, and says so", () => {
    const body = composeQuestion("q", [said("Ada", "old"), said("Grace", "z".repeat(2_000))], {
      ...roomy,
      maxContextChars: 300,
    });
    expect(body).toContain("Grace: zzz");
    expect(body).toContain(" […]\n");
    expect(body).not.toContain("Ada: old");
  });

  it("is the plain question when no earlier message fits beside it", () => {
    const question = "x".repeat(3_990);
    expect(composeQuestion(question, [said("Ada", "earlier words")], roomy)).toBe(question);
  });
});
