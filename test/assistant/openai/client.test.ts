import { afterEach, describe, expect, it } from "vitest";
import {
  AssistantApiError,
  AssistantNetworkError,
  BackendUnavailableError,
  ContextTooLongError,
  RateLimitedError,
} from "../../../src/assistant/errors.js";
import {
  createOpenAiAssistantClient,
  type OpenAiClientOptions,
} from "../../../src/assistant/openai/client.js";
import type { AssistantRequest } from "../../../src/assistant/types.js";
import { memoryLogger } from "../../support/core.js";
import { type DoubleAnswer, type HttpDouble, startHttpDouble } from "../../support/http-double.js";
import { closedPort } from "../../support/ports.js";
import { rejection } from "../../support/rejection.js";

const REQUEST: AssistantRequest = {
  identity: "user_id:slack_T1_U1",
  body: "and now?",
  sessionId: "slack__T1/C1/1",
  mode: "chat",
  history: [
    { question: "first?", answer: "First." },
    { question: "second?", answer: "Second." },
  ],
};

function completion(message: Record<string, unknown>, finishReason = "stop") {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [
      {
        index: 0,
        message: { role: "assistant", refusal: null, ...message },
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
  };
}

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

async function clientFor(answer: HttpDouble["answer"], overrides: Partial<OpenAiClientOptions> = {}) {
  const double = await startHttpDouble(answer);
  const { logger, lines } = memoryLogger("debug");
  const client = createOpenAiAssistantClient({
    baseUrl: `${double.url}/v1/`,
    apiKey: "sk-test",
    apiKeyHeader: "authorization",
    model: "gpt-test",
    instructions: "Be brief.",
    safetyIdentifier: true,
    timeoutMs: 2000,
    logger,
    ...overrides,
  });
  opened.push(client, double);
  return { client, double, lines };
}

const ok = () => ({ status: 200, body: completion({ content: "Third." }) });

describe("OpenAI-compatible client: the request", () => {
  it("posts model and messages: instructions as system, earlier turns in order, then the question", async () => {
    const { client, double } = await clientFor(ok);
    expect(client).toMatchObject({ backend: "openai", keepsHistory: false });
    expect(await client.send(REQUEST)).toEqual({ kind: "answer", body: "Third.", sessionId: null });
    const [seen] = double.seen;
    expect(seen).toMatchObject({ method: "POST", url: "/v1/chat/completions" });
    expect(seen?.headers.authorization).toBe("Bearer sk-test");
    const payload = JSON.parse(seen?.body ?? "");
    expect(payload.model).toBe("gpt-test");
    expect(payload.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "first?" },
      { role: "assistant", content: "First." },
      { role: "user", content: "second?" },
      { role: "assistant", content: "Second." },
      { role: "user", content: "and now?" },
    ]);
    expect(payload).not.toHaveProperty("user");
  });

  it("sends a stable, non-reversible safety_identifier of at most 64 characters, unless switched off", async () => {
    const { client, double } = await clientFor(ok);
    await client.send(REQUEST);
    await client.send(REQUEST);
    const ids = double.seen.map((seen) => JSON.parse(seen.body).safety_identifier);
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[0]).not.toContain("slack_T1_U1");
    await client.send({ ...REQUEST, identity: "user_id:slack_T1_U2" });
    expect(JSON.parse(double.seen[2]?.body ?? "").safety_identifier).not.toBe(ids[0]);

    const off = await clientFor(ok, { safetyIdentifier: false });
    await off.client.send(REQUEST);
    expect(JSON.parse(off.double.seen[0]?.body ?? "")).not.toHaveProperty("safety_identifier");
  });

  it("sends the key in Azure's api-key header when asked, and no key at all when there is none", async () => {
    const azure = await clientFor(ok, { apiKeyHeader: "api-key" });
    await azure.client.send(REQUEST);
    expect(azure.double.seen[0]?.headers).toMatchObject({ "api-key": "sk-test" });
    expect(azure.double.seen[0]?.headers).not.toHaveProperty("authorization");

    const local = await clientFor(ok, { apiKey: null, instructions: null });
    await local.client.send({ ...REQUEST, history: [] });
    expect(local.double.seen[0]?.headers).not.toHaveProperty("authorization");
    expect(JSON.parse(local.double.seen[0]?.body ?? "").messages).toEqual([
      { role: "user", content: "and now?" },
    ]);
  });

  it("records a vote as a log event (no vendor API) and returns no id", async () => {
    const { client, double, lines } = await clientFor(ok);
    expect(await client.sendFeedback({ sessionId: "s", score: 0, text: "wrong" })).toEqual({ id: null });
    expect(double.seen).toEqual([]);
    const events = lines.map((line) => JSON.parse(line)).filter((line) => line.event === "feedback");
    expect(events[0]).toMatchObject({ sessionId: "s", score: 0, withText: true, level: 30 });
    // The person's words only at debug level.
    expect(events.find((line) => line.text === "wrong")?.level).toBe(20);
  });
});

describe("OpenAI-compatible client: answers", () => {
  it("maps a refusal and a content filter to flagged, showing the refusal when there is one", async () => {
    let next: DoubleAnswer = ok();
    const { client } = await clientFor(() => next);
    next = { status: 200, body: completion({ content: null, refusal: "I can't help with that." }) };
    expect(await client.send(REQUEST)).toMatchObject({ kind: "flagged", body: "I can't help with that." });
    next = { status: 200, body: completion({ content: "partial" }, "content_filter") };
    expect(await client.send(REQUEST)).toMatchObject({ kind: "flagged", body: "partial" });
    next = { status: 200, body: completion({ content: null }, "content_filter") };
    expect(await client.send(REQUEST)).toMatchObject({
      kind: "flagged",
      body: expect.stringContaining("content filter"),
    });
  });

  it("marks an answer stopped by length as cut short, and calls an empty one a failure", async () => {
    let next: DoubleAnswer = ok();
    const { client } = await clientFor(() => next);
    next = { status: 200, body: completion({ content: "The start of" }, "length") };
    expect(await client.send(REQUEST)).toEqual({
      kind: "answer",
      body: "The start of",
      sessionId: null,
      cutShort: true,
    });
    next = { status: 200, body: completion({ content: "  " }) };
    expect(await client.send(REQUEST)).toMatchObject({ kind: "failure" });
    // Ollama sends no refusal field at all.
    next = {
      status: 200,
      body: {
        ...completion({}),
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      },
    };
    expect(await client.send(REQUEST)).toMatchObject({ kind: "answer", body: "hi" });
    // OpenRouter reports an error met mid-generation inside a 200.
    next = { status: 200, body: { error: { message: "upstream died", code: 502 } } };
    expect(await client.send(REQUEST)).toMatchObject({ kind: "failure", error: "upstream died" });
  });

  it("maps Azure's prompt filter (400 content_filter) to flagged", async () => {
    const { client } = await clientFor(() => ({
      status: 400,
      body: {
        error: { message: "The prompt was filtered.", type: null, param: "prompt", code: "content_filter" },
      },
    }));
    expect(await client.send(REQUEST)).toMatchObject({ kind: "flagged", body: "The prompt was filtered." });
  });
});

describe("OpenAI-compatible client: errors", () => {
  const error = (type: string, code: string | null, message = "m") => ({
    error: { message, type, param: null, code },
  });

  it("types a 429 as rate limited, reading retry-after-ms before retry-after", async () => {
    let next: DoubleAnswer = ok();
    const { client } = await clientFor(() => next);
    next = { status: 429, headers: { "retry-after": "2" }, body: error("requests", "rate_limit_exceeded") };
    const first = await rejection(client.send(REQUEST));
    expect(first).toBeInstanceOf(RateLimitedError);
    expect(first).toMatchObject({ status: 429, code: "rate_limit_exceeded", retryAfterMs: 2000 });
    next = {
      status: 429,
      headers: { "retry-after": "2", "retry-after-ms": "350" },
      body: error("requests", null),
    };
    expect(await rejection(client.send(REQUEST))).toMatchObject({ retryAfterMs: 350 });
    next = { status: 429, body: "" };
    expect(await rejection(client.send(REQUEST))).toMatchObject({ retryAfterMs: null });
  });

  it("never retries a 429 that no wait cures, nor OpenRouter's 402: the backend is unavailable", async () => {
    let next: DoubleAnswer = ok();
    const { client } = await clientFor(() => next);
    const unavailable = [
      {
        status: 429,
        body: error("insufficient_quota", "insufficient_quota", "You exceeded your current quota"),
      },
      { status: 429, body: error("insufficient_quota", "credit_balance_exhausted") },
      {
        status: 429,
        body: error(
          "tokens",
          "rate_limit_exceeded",
          "Request too large for gpt-4o on tokens per min (TPM): Limit 30000, Requested 50000.",
        ),
      },
      { status: 402, body: { error: { message: "Insufficient credits", code: 402 } } },
    ];
    for (const answer of unavailable) {
      next = answer;
      const thrown = await rejection(client.send(REQUEST));
      expect(thrown, JSON.stringify(answer)).toBeInstanceOf(BackendUnavailableError);
      expect(thrown).not.toBeInstanceOf(RateLimitedError);
      expect((thrown as Error).message).toContain(`HTTP ${answer.status}`);
    }
  });

  it("types a 401 and a 403 as refused credentials", async () => {
    let next: DoubleAnswer = ok();
    const { client } = await clientFor(() => next);
    for (const status of [401, 403]) {
      next = {
        status,
        body: error("invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
      };
      const thrown = await rejection(client.send(REQUEST));
      expect(thrown).toBeInstanceOf(AssistantApiError);
      expect(thrown).toMatchObject({ status, credentialsRefused: true });
    }
  });

  it("types every server's form of a prompt too long for the context", async () => {
    let next: DoubleAnswer = ok();
    const { client } = await clientFor(() => next);
    const forms = [
      error(
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 8192 tokens.",
      ),
      {
        object: "error",
        message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
      {
        error: {
          code: 400,
          message: "the request exceeds the available context size",
          type: "exceed_context_size_error",
        },
      },
    ];
    for (const body of forms) {
      next = { status: 400, body };
      expect(await rejection(client.send(REQUEST)), JSON.stringify(body)).toBeInstanceOf(ContextTooLongError);
    }
  });

  it("types a 5xx as an API error, and a body that is not JSON too", async () => {
    let next: DoubleAnswer = { status: 503, body: "<html>busy</html>" };
    const { client } = await clientFor(() => next);
    const thrown = await rejection(client.send(REQUEST));
    expect(thrown).toBeInstanceOf(AssistantApiError);
    expect(thrown).not.toBeInstanceOf(RateLimitedError);
    expect(thrown).toMatchObject({ status: 503 });
    next = { status: 200, body: "not json" };
    expect(await rejection(client.send(REQUEST))).toMatchObject({ status: 200 });
  });

  it("times out a hanging call, and reports a refused connection as never sent", async () => {
    const { client } = await clientFor(() => null, { timeoutMs: 100 });
    const thrown = await rejection(client.send(REQUEST));
    expect(thrown).toBeInstanceOf(AssistantNetworkError);
    expect(thrown).toMatchObject({ failure: "timeout", mayHaveBeenProcessed: true });

    const port = await closedPort();
    const refused = createOpenAiAssistantClient({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      apiKey: null,
      apiKeyHeader: "authorization",
      model: "m",
      instructions: null,
      safetyIdentifier: false,
      timeoutMs: 2000,
      logger: memoryLogger("silent").logger,
    });
    opened.push(refused);
    expect(await rejection(refused.send(REQUEST))).toMatchObject({
      failure: "refused",
      mayHaveBeenProcessed: false,
    });
  });
});
