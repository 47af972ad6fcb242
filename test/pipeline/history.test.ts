import { describe, expect, it } from "vitest";
import { ContextTooLongError, RateLimitedError } from "../../src/assistant/errors.js";
import type { Turn } from "../../src/assistant/types.js";
import { MemoryStore } from "../../src/state/memory-store.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

/** A memory store that counts its history reads (the one extra round trip a message may cost). */
class CountingStore extends MemoryStore {
  historyReads = 0;
  override async history(sessionId: string): Promise<Turn[]> {
    this.historyReads++;
    return super.history(sessionId);
  }
}

const answered = (body: string) => ({ kind: "answer" as const, body: `re: ${body}`, sessionId: null });

describe("the conversation a stateless backend (Chat Completions) is sent", () => {
  it("sends the earlier turns in order, appends each answered turn, and keeps threads apart", async () => {
    const { submit, assistant, store } = fakeBridge({}, 4000, { backend: "openai" });
    assistant.respond = async (request) => answered(request.body);
    const a = new RecordingPort();
    const b = new RecordingPort();
    for (const [text, n] of [
      ["one", 1],
      ["two", 2],
      ["three", 3],
    ] as const) {
      void submit(message({ thread: "a", text }), a);
      await a.waitFor(n);
    }
    void submit(message({ thread: "b", text: "other" }), b);
    await b.waitFor(1);

    expect(assistant.calls.map((c) => c.request.history)).toEqual([
      [],
      [{ question: "one", answer: "re: one" }],
      [
        { question: "one", answer: "re: one" },
        { question: "two", answer: "re: two" },
      ],
      [],
    ]);
    expect(await store.history(assistant.calls[0]?.request.sessionId ?? "")).toHaveLength(3);
  });

  it("keeps the history within ASSISTANT_HISTORY_MAX_CHARS, dropping the oldest turns", async () => {
    const { submit, assistant } = fakeBridge({}, 4000, { backend: "openai", historyMaxChars: 1_000 });
    assistant.respond = async () => ({ kind: "answer", body: "x".repeat(290), sessionId: null });
    const port = new RecordingPort();
    for (let n = 1; n <= 6; n++) {
      void submit(message({ text: `q${n}` }), port);
      await port.waitFor(n);
    }
    const last = assistant.calls.at(-1)?.request.history ?? [];
    // Turns of 292 characters: three fit in 1,000; the newest are kept.
    expect(last.map((turn) => turn.question)).toEqual(["q3", "q4", "q5"]);
  });

  it("records nothing for a notice, and reads the history once per message even when retried", async () => {
    const store = new CountingStore();
    const { submit, assistant } = fakeBridge({}, 4000, { backend: "openai", store });
    let calls = 0;
    assistant.respond = async (request) => {
      calls++;
      if (calls === 1) throw new RateLimitedError("429", 429, "rate_limit_exceeded", 1);
      if (request.body === "fail") return { kind: "failure", error: "no", sessionId: null };
      return answered(request.body);
    };
    const port = new RecordingPort();
    void submit(message({ text: "first" }), port);
    await port.waitFor(1);
    void submit(message({ text: "fail" }), port);
    await port.waitFor(2);
    void submit(message({ text: "third" }), port);
    await port.waitFor(3);

    expect(assistant.calls).toHaveLength(4);
    expect(store.historyReads).toBe(3);
    expect(assistant.calls.at(-1)?.request.history).toEqual([{ question: "first", answer: "re: first" }]);
  });

  it("sends no history and reads none for a backend that keeps the conversation (Twilio)", async () => {
    const store = new CountingStore();
    const { submit, assistant } = fakeBridge({}, 4000, { store });
    const port = new RecordingPort();
    void submit(message(), port);
    await port.waitFor(1);
    void submit(message(), port);
    await port.waitFor(2);
    expect(assistant.calls.map((c) => c.request.history)).toEqual([[], []]);
    expect(store.historyReads).toBe(0);
    expect(await store.history(assistant.calls[0]?.request.sessionId ?? "")).toEqual([]);
  });
});

describe("a prompt too long for the model", () => {
  const tooLong = () =>
    new ContextTooLongError("400 context_length_exceeded", 400, "context_length_exceeded");

  it("is tried again with the newest half of the history, then none; the stored history stays whole", async () => {
    const { submit, assistant, store, metrics } = fakeBridge({}, 4000, { backend: "openai" });
    assistant.respond = async (request) => {
      if (request.body.startsWith("big") && request.history.length > 0) throw tooLong();
      return answered(request.body);
    };
    const port = new RecordingPort();
    for (let n = 1; n <= 4; n++) {
      void submit(message({ text: `q${n}` }), port);
      await port.waitFor(n);
    }
    void submit(message({ text: "big question" }), port);
    await port.waitFor(5);

    expect(assistant.calls.slice(4).map((c) => c.request.history.map((t) => t.question))).toEqual([
      ["q1", "q2", "q3", "q4"],
      ["q3", "q4"],
      [],
    ]);
    expect(port.replies.at(-1)).toMatchObject({ kind: "answer", text: "re: big question" });
    const sessionId = assistant.calls[0]?.request.sessionId ?? "";
    expect((await store.history(sessionId)).map((t) => t.question)).toEqual([
      "q1",
      "q2",
      "q3",
      "q4",
      "big question",
    ]);
    const counted = (await metrics.assistantCalls.get()).values.find(
      (v) => v.labels.outcome === "context_too_long",
    );
    expect(counted?.value).toBe(2);
  });

  it("tells the person when the question alone is too long, and keeps no turn", async () => {
    const { submit, assistant, store } = fakeBridge({}, 4000, { backend: "openai" });
    assistant.respond = async () => {
      throw tooLong();
    };
    const port = new RecordingPort();
    void submit(message({ text: "enormous" }), port);
    await port.waitFor(1);
    expect(assistant.calls).toHaveLength(1);
    expect(port.replies[0]).toMatchObject({ kind: "too_long" });
    expect(port.replies[0]?.text).toMatch(/too long for the assistant's model/);
    expect(await store.history(assistant.calls[0]?.request.sessionId ?? "")).toEqual([]);
  });
});
