import { afterEach, describe, expect, it } from "vitest";
import { createOpenAiAssistantClient } from "../../src/assistant/openai/client.js";
import { type RunningSimulator, simulatorCredentials, startSimulator } from "../../src/simulator/server.js";
import { memoryLogger } from "../support/core.js";
import { specSchemas } from "../support/schemas.js";

// OpenAPI 3.1 writes null as a type; the spec's leftover 3.0 "nullable" markers mean nothing there,
// and Ajv would read them (and refuse those without a type), so they are dropped on reading.
const expectSchema = specSchemas("openai-chat-completions.json", {
  formats: ["unixtime"],
  strict: false,
  reviver: (key, value) => (key === "nullable" ? undefined : value),
});

let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function start() {
  simulator = await startSimulator({ ...simulatorCredentials(), assistantId: "aia_asst_spec" });
  const sim = simulator;
  const call = async (payload: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${sim.openAiKey}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(payload),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
      json: (await response.json()) as Record<string, unknown>,
    };
  };
  return { sim, call };
}

const ask = (content: string) => ({ model: "simulator", messages: [{ role: "user", content }] });

describe("the simulator's Chat Completions match OpenAI's spec", () => {
  it("answers every scripted word with a response the spec allows", async () => {
    const { call } = await start();
    const finish: Record<string, string> = {
      hello: "stop",
      "#flagged": "content_filter",
      "#aborted": "length",
      "#fail": "stop",
      "#markdown": "stop",
      "#long=3000": "stop",
      "#slow=10": "stop",
    };
    for (const [word, reason] of Object.entries(finish)) {
      const answer = await call(ask(word));
      expect(answer.status, word).toBe(200);
      expectSchema("CreateChatCompletionResponse", answer.json);
      expect(answer.json).toMatchObject({ choices: [{ finish_reason: reason }] });
    }
  });

  it("answers #429 with a 429, retry-after and OpenAI's error shape, and #error with a 500", async () => {
    const { call } = await start();
    const limited = await call(ask("#429"));
    expect(limited).toMatchObject({ status: 429, retryAfter: "1" });
    expect(limited.json).toEqual({
      error: { message: expect.any(String), type: "requests", param: null, code: "rate_limit_exceeded" },
    });
    expect(await call(ask("#error"))).toMatchObject({
      status: 500,
      json: { error: { type: "server_error" } },
    });
  });

  it("sends requests the spec allows, and refuses what it does not", async () => {
    const { sim, call } = await start();
    const client = createOpenAiAssistantClient({
      baseUrl: `${sim.url}/v1`,
      apiKey: sim.openAiKey,
      apiKeyHeader: "authorization",
      model: "simulator",
      instructions: "Be brief.",
      safetyIdentifier: true,
      timeoutMs: 2000,
      logger: memoryLogger("silent").logger,
    });
    try {
      const outcome = await client.send({
        identity: "user_id:a",
        body: "third",
        sessionId: "s",
        mode: "chat",
        history: [
          { question: "first", answer: "one" },
          { question: "second", answer: "two" },
        ],
      });
      expect(outcome).toMatchObject({ kind: "answer", body: expect.stringContaining("message 3") });
      expect(sim.chatRequests).toHaveLength(1);
      expectSchema("CreateChatCompletionRequest", sim.chatRequests[0]);
    } finally {
      await client.close();
    }
    for (const bad of [
      { messages: [{ role: "user", content: "x" }] },
      { model: "m", messages: [] },
      { model: "m", messages: [{ role: "robot", content: "x" }] },
    ]) {
      const answer = await call(bad);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.json).toMatchObject({ error: { type: "invalid_request_error" } });
    }
    expect(sim.chatRequests).toHaveLength(1);
  });

  it("wants its key as a Bearer token or in Azure's api-key header", async () => {
    const { sim, call } = await start();
    expect((await call(ask("hi"), { authorization: "Bearer wrong" })).status).toBe(401);
    expect(await call(ask("hi"), { authorization: "", "api-key": sim.openAiKey ?? "" })).toMatchObject({
      status: 200,
    });
    const unauthorized = await call(ask("hi"), { authorization: "Bearer wrong" });
    expect(unauthorized.json).toMatchObject({ error: { code: "invalid_api_key" } });
  });
});
