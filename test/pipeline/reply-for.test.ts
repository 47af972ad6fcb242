import { describe, expect, it } from "vitest";
import { cutLine } from "../../src/answer-cap.js";
import {
  AssistantApiError,
  AssistantGoneError,
  AssistantNetworkError,
  BackendUnavailableError,
  ContextTooLongError,
  RateLimitedError,
} from "../../src/assistant/errors.js";
import { CUT_SHORT_LINE, notices } from "../../src/notices.js";
import { HeldCallError } from "../../src/pipeline/backend-health.js";
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

  it("ends an answer the model cut short with a line saying so, also when it is capped", () => {
    const short = replyForOutcome(
      { kind: "answer", body: "The start", sessionId: null, cutShort: true },
      asked,
      options,
    );
    expect(short.text).toBe(`The start\n\n${CUT_SHORT_LINE}`);
    const body = "word ".repeat(1_000);
    const long = replyForOutcome({ kind: "answer", body, sessionId: null, cutShort: true }, asked, {
      ...options,
      maxAnswerChars: 2_000,
    });
    expect(long.text.length).toBeLessThanOrEqual(2_000);
    expect(long.text).toContain(cutLine(body.length));
    expect(long.text.endsWith(CUT_SHORT_LINE)).toBe(true);
  });

  it("shows a refusal as the flagged answer's text (the adapters put the warning above it)", () => {
    const reply = replyForOutcome(
      { kind: "flagged", body: "I can't help with that.", sessionId: null },
      asked,
      options,
    );
    expect(reply).toMatchObject({ kind: "flagged", text: "I can't help with that." });
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

  it("says the assistant is unavailable, never 'try again in a moment', when no retry cures it", () => {
    for (const error of [
      new AssistantApiError("forbidden", 403, null),
      new AssistantGoneError("gone", 410, null),
      new AssistantGoneError("not found", 404, 20404),
      new BackendUnavailableError("quota", 429, "insufficient_quota"),
      new BackendUnavailableError("credits", 402, null),
      new HeldCallError("credentials"),
    ]) {
      const reply = replyForError(error, asked.requestId);
      expect(reply).toEqual(notice("failure", notices.unavailable(asked.requestId), asked.requestId));
      expect(reply.text).not.toMatch(/try again in a moment/);
    }
  });

  it("says the question alone is too long for the model", () => {
    const reply = replyForError(
      new ContextTooLongError("long", 400, "context_length_exceeded"),
      asked.requestId,
    );
    expect(reply).toEqual(notice("too_long", notices.tooLongForModel(asked.requestId), asked.requestId));
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
