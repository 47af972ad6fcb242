import { describe, expect, it } from "vitest";
import { messageBody, nonceFor, renderReply } from "../../../adapters/discord/render.js";
import { FLAGGED_WARNING, notices } from "../../../src/notices.js";

const requestId = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

describe("renderReply", () => {
  it("shows an answer's Markdown as it is", () => {
    expect(renderReply({ kind: "answer", text: "**Yes**, see `x`.", requestId, feedback: null })).toEqual([
      "**Yes**, see `x`.",
    ]);
  });

  it("opens a flagged answer with the warning line, in the same message", () => {
    const [first, ...rest] = renderReply({ kind: "flagged", text: "The answer.", requestId, feedback: null });
    expect(first).toBe(`${FLAGGED_WARNING}\n\nThe answer.`);
    expect(rest).toEqual([]);
  });

  it("keeps the warning in the first message of a long flagged answer", () => {
    const parts = renderReply({ kind: "flagged", text: "word ".repeat(1000), requestId, feedback: null });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]?.startsWith(FLAGGED_WARNING)).toBe(true);
    expect(parts.slice(1).some((p) => p.includes(FLAGGED_WARNING))).toBe(false);
  });

  it("shows notices as they are", () => {
    const text = notices.failure(requestId);
    expect(renderReply({ kind: "failure", text, requestId, feedback: null })).toEqual([text]);
    expect(renderReply({ kind: "busy", text: notices.busy(), requestId, feedback: null })).toEqual([
      notices.busy(),
    ]);
  });
});

describe("nonceFor", () => {
  it("is the same for the same part, different for another part or reply, and at most 25 characters", () => {
    const nonce = nonceFor(requestId, 0);
    expect(nonce).toBe(nonceFor(requestId, 0));
    expect(nonce).not.toBe(nonceFor(requestId, 1));
    expect(nonce).not.toBe(nonceFor("another-request", 0));
    expect(nonce.length).toBeLessThanOrEqual(25);
  });
});

describe("messageBody", () => {
  it("is idempotent, pings nobody and answers the question without pinging its author", () => {
    expect(messageBody("hi @everyone", { nonce: "n1", replyTo: "42" })).toEqual({
      content: "hi @everyone",
      nonce: "n1",
      enforce_nonce: true,
      allowed_mentions: { parse: [], replied_user: false },
      message_reference: { message_id: "42", fail_if_not_exists: false },
    });
    expect(messageBody("x", { nonce: "n2" })).not.toHaveProperty("message_reference");
  });
});
