import { describe, expect, it } from "vitest";
import {
  AssistantApiError,
  AssistantGoneError,
  BackendUnavailableError,
} from "../../src/assistant/errors.js";
import { GONE_ADVICE } from "../../src/assistant/texts.js";
import type { Metrics } from "../../src/metrics.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

const count = async (metrics: Metrics, name: string) =>
  (await metrics.assistantCalls.get()).values.find((v) => v.labels.outcome === name)?.value ?? 0;
const held = async (metrics: Metrics, reason: string) =>
  (await metrics.callsHeld.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

/** Submits `n` messages on separate threads one after another, each answered before the next. */
async function oneByOne(submit: ReturnType<typeof fakeBridge>["submit"], n: number, port: RecordingPort) {
  for (let i = 0; i < n; i++) {
    void submit(message({ thread: `t${i}`, text: `q${i}` }), port);
    await port.waitFor(port.replies.length + 1);
  }
}

describe("a backend that refuses every call until an operator acts", () => {
  it("once the credentials are refused, holds messages without a call and tells their users at once", async () => {
    const { bridge, submit, assistant, metrics } = fakeBridge({}, 4000, { backend: "openai" });
    assistant.respond = async () => {
      throw new AssistantApiError("HTTP 401 invalid_api_key", 401, "invalid_api_key");
    };
    const port = new RecordingPort();
    await oneByOne(submit, 10, port);

    expect(assistant.calls).toHaveLength(1);
    expect(await count(metrics, "unauthorized")).toBe(1);
    expect(await held(metrics, "credentials")).toBe(9);
    for (const reply of port.replies) {
      expect(reply).toMatchObject({ kind: "failure" });
      expect(reply.text).toMatch(/^Sorry, the assistant is unavailable/);
    }
    expect(bridge.notReadyReason()).toMatch(
      /^assistant: the OpenAI-compatible server refused the credentials \(HTTP 401\); check OPENAI_API_KEY/,
    );
  });

  it("lets one call through per interval, and answers again once the credentials are fixed", async () => {
    const { bridge, submit, assistant } = fakeBridge({}, 4000, { backend: "openai", recheckEveryMs: 150 });
    let refuse = true;
    assistant.respond = async (request) => {
      if (refuse) throw new AssistantApiError("HTTP 403", 403, null);
      return { kind: "answer", body: `re: ${request.body}`, sessionId: null };
    };
    const port = new RecordingPort();
    await oneByOne(submit, 3, port);
    expect(assistant.calls).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, 200));
    await oneByOne(submit, 2, port);
    // The check call was refused too: the next one waits for the next interval.
    expect(assistant.calls).toHaveLength(2);

    refuse = false;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await oneByOne(submit, 2, port);
    expect(assistant.calls).toHaveLength(4);
    expect(port.replies.slice(-2).map((r) => r.kind)).toEqual(["answer", "answer"]);
    expect(bridge.notReadyReason()).toBeNull();
  });

  it("Twilio 404/410 (gone): its own outcome, /readyz reason, the advice logged once, users told unavailable", async () => {
    const { bridge, submit, assistant, metrics, logLines } = fakeBridge({}, 4000, { recheckEveryMs: 0 });
    assistant.respond = async (request) => {
      const status = request.body === "q0" ? 404 : 410;
      throw new AssistantGoneError(`Twilio answered HTTP ${status}`, status, status === 404 ? 20404 : null);
    };
    const port = new RecordingPort();
    await oneByOne(submit, 2, port);

    expect(await count(metrics, "gone")).toBe(2);
    expect(await count(metrics, "api_error")).toBe(0);
    for (const reply of port.replies) {
      expect(reply.text).toMatch(/^Sorry, the assistant is unavailable/);
      expect(reply.text).not.toMatch(/try again in a moment/);
    }
    // The latest refusal is the one /readyz names.
    expect(bridge.notReadyReason()).toBe(
      "assistant: Twilio AI Assistants did not find the assistant and may be retired (HTTP 410)",
    );
    const advice = logLines.filter((line) => line.includes("ASSISTANT_BACKEND=openai"));
    expect(advice).toHaveLength(1);
    expect(JSON.parse(advice[0] ?? "{}")).toMatchObject({ level: 50, msg: GONE_ADVICE });
  });

  it("an exhausted quota is not retried: users told unavailable, operators see the cause", async () => {
    const { bridge, submit, assistant, metrics, logLines } = fakeBridge({}, 4000, { backend: "openai" });
    assistant.respond = async () => {
      throw new BackendUnavailableError(
        "the OpenAI-compatible server answered HTTP 429 (insufficient_quota): You exceeded your current quota",
        429,
        "insufficient_quota",
      );
    };
    const port = new RecordingPort();
    await oneByOne(submit, 3, port);

    expect(assistant.calls).toHaveLength(1);
    expect(await count(metrics, "unavailable")).toBe(1);
    expect(await held(metrics, "unavailable")).toBe(2);
    for (const reply of port.replies) expect(reply.text).toMatch(/^Sorry, the assistant is unavailable/);
    expect(bridge.notReadyReason()).toMatch(/^assistant: calls are refused .*insufficient_quota/);
    const errors = logLines.filter((line) => line.includes("exceeded your current quota"));
    // One error line for the failed call, one for the episode; the held messages log nothing more.
    expect(errors.filter((line) => JSON.parse(line).level === 50)).toHaveLength(2);
  });
});
