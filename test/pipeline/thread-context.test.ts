import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RateLimitedError } from "../../src/assistant/errors.js";
import { CONTEXT_HEADER } from "../../src/pipeline/context.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const threadContext = { maxMessages: 20, maxChars: 4_000 };
const ok = { kind: "answer" as const, body: "ok", sessionId: null };

describe("the worker's thread context", () => {
  it("reads the thread once per message, not per retry, and sends the same body again", async () => {
    const { submit, assistant } = fakeBridge({}, 4000, { threadContext });
    let first = true;
    assistant.respond = async () => {
      if (first) {
        first = false;
        throw new RateLimitedError("429", 429, 20429, 1000);
      }
      return ok;
    };
    const port = new RecordingPort();
    port.context = [{ speaker: "Ada", fromAssistant: false, text: "earlier words" }];
    void submit(message({ text: "is that right?" }), port);
    await vi.runAllTimersAsync();
    expect(port.events.filter((event) => event === "context:read")).toHaveLength(1);
    const sent = assistant.calls.map((call) => call.request.body);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain(`${CONTEXT_HEADER}\nAda: earlier words\n`);
    expect(sent[1]).toBe(sent[0]);
  });

  it("shows the working indicator while it reads", async () => {
    const { submit, assistant } = fakeBridge({}, 4000, { threadContext });
    assistant.respond = async () => ok;
    const port = new RecordingPort();
    void submit(message(), port);
    await vi.runAllTimersAsync();
    expect(port.events).toEqual(["working:start", "context:read", "post:answer", "working:stop"]);
  });

  it("sends the plain question when the read fails", async () => {
    const { submit, assistant, logLines } = fakeBridge({}, 4000, { threadContext });
    assistant.respond = async () => ok;
    const port = new RecordingPort();
    port.context = new Error("missing_scope");
    void submit(message({ text: "plain" }), port);
    await vi.runAllTimersAsync();
    expect(assistant.calls.map((call) => call.request.body)).toEqual(["plain"]);
    expect(port.replies.map((reply) => reply.kind)).toEqual(["answer"]);
    expect(logLines.filter((line) => line.includes("the question goes alone"))).toHaveLength(1);
  });
});
