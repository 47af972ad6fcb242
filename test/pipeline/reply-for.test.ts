import { describe, expect, it } from "vitest";
import { cutLine } from "../../src/answer-cap.js";
import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "../../src/assistant/errors.js";
import { notices } from "../../src/notices.js";
import { notice, replyForError, replyForOutcome } from "../../src/pipeline/reply-for.js";

const asked = { requestId: "req-1234567890", sessionId: "slack__T1/C1/t1" };
const options = { maxAnswerChars: 1_000, feedback: true };

describe("replyForOutcome", () => {
  it("passes answers and flagged answers on with what a vote on them records", () => {
    expect(
      replyForOutcome({ kind: "answer", body: "**Yes.**", sessionId: "slack__T1/C1/t1" }, asked, options),
    ).toEqual({
      kind: "answer",
      text: "**Yes.**",
      requestId: asked.requestId,
      feedback: { sessionId: "slack__T1/C1/t1", answerId: asked.requestId },
    });
    const flagged = replyForOutcome({ kind: "flagged", body: "Hm.", sessionId: null }, asked, options);
    expect(flagged.kind).toBe("flagged");
    expect(flagged.feedback).toEqual({ sessionId: asked.sessionId, answerId: asked.requestId });
  });

  it("names the session Twilio answered for in the vote, since it may prefix the one sent", () => {
    const reply = replyForOutcome({ kind: "answer", body: "ok", sessionId: "webhook:x" }, asked, options);
    expect(reply.feedback?.sessionId).toBe("webhook:x");
  });

  it("attaches nothing to vote on without FEEDBACK=buttons", () => {
    const reply = replyForOutcome({ kind: "answer", body: "ok", sessionId: null }, asked, {
      ...options,
      feedback: false,
    });
    expect(reply.feedback).toBeNull();
  });

  it("cuts an answer past the cap", () => {
    const body = "word ".repeat(1_000);
    const reply = replyForOutcome({ kind: "answer", body, sessionId: null }, asked, options);
    expect(reply.text.length).toBeLessThanOrEqual(1_000);
    expect(reply.text).toContain(cutLine(body.length));
  });

  it("turns aborted and failed turns into notices with the reference", () => {
    expect(replyForOutcome({ kind: "aborted", error: null, sessionId: null }, asked, options)).toEqual(
      notice("aborted", notices.aborted(asked.requestId), asked.requestId),
    );
    const failure = replyForOutcome({ kind: "failure", error: "boom", sessionId: null }, asked, options);
    expect(failure).toEqual(notice("failure", notices.failure(asked.requestId), asked.requestId));
    expect(failure.text).toContain("(ref req-1234)");
  });
});

describe("replyForError", () => {
  it("says the assistant is unavailable when Twilio refuses the credentials", () => {
    const reply = replyForError(new AssistantApiError("no", 401, 20003), asked.requestId);
    expect(reply).toEqual(notice("failure", notices.unavailable(asked.requestId), asked.requestId));
  });

  it("says the assistant took too long after a timeout", () => {
    const reply = replyForError(new AssistantNetworkError("slow", "timeout"), asked.requestId);
    expect(reply.text).toBe(notices.timeout(asked.requestId));
  });

  it("says the assistant could not answer after any other error", () => {
    for (const error of [
      new AssistantApiError("bad", 500, null),
      new RateLimitedError("slow down", 429, 20429, 1_000),
      new AssistantNetworkError("reset", "reset"),
      new Error("bug"),
    ]) {
      expect(replyForError(error, asked.requestId)).toEqual(
        notice("failure", notices.failure(asked.requestId), asked.requestId),
      );
    }
  });
});
