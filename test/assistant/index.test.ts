import { describe, expect, it } from "vitest";
import { createAssistantClient } from "../../src/assistant/index.js";
import { loadConfig } from "../../src/config.js";
import { memoryLogger } from "../support/core.js";

const REQUEST = {
  identity: "user_id:console_local_me",
  body: "hello",
  sessionId: "console__local/1",
  mode: "chat" as const,
  history: [],
};

describe("createAssistantClient", () => {
  it("with ASSISTANT_BACKEND=openai and nothing else, answers from the simulator over Chat Completions", async () => {
    const config = loadConfig({ ASSISTANT_BACKEND: "openai" }, { envFile: null });
    const backend = await createAssistantClient(config.assistant, {
      logger: memoryLogger("silent").logger,
      simulatorLatencyMs: 0,
    });
    try {
      expect(backend).toMatchObject({ simulated: true, client: { backend: "openai", keepsHistory: false } });
      expect(backend.description).toContain("OFFLINE SIMULATOR");
      const outcome = await backend.client.send({
        ...REQUEST,
        history: [{ question: "before", answer: "x" }],
      });
      expect(outcome).toMatchObject({
        kind: "answer",
        body: expect.stringContaining("Before this you said: “before”"),
      });
    } finally {
      await backend.close();
    }
  });

  it("with nothing configured, answers from the simulator over Twilio's contract", async () => {
    const config = loadConfig({}, { envFile: null });
    const backend = await createAssistantClient(config.assistant, {
      logger: memoryLogger("silent").logger,
      simulatorLatencyMs: 0,
    });
    try {
      expect(backend).toMatchObject({ simulated: true, client: { backend: "twilio", keepsHistory: true } });
      expect(await backend.client.send(REQUEST)).toMatchObject({
        kind: "answer",
        sessionId: REQUEST.sessionId,
      });
    } finally {
      await backend.close();
    }
  });

  it("names a real backend without starting a simulator", async () => {
    const config = loadConfig(
      { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", OPENAI_MODEL: "llama3" },
      { envFile: null },
    );
    const backend = await createAssistantClient(config.assistant, {
      logger: memoryLogger("silent").logger,
      simulatorLatencyMs: 0,
    });
    await backend.close();
    expect(backend).toMatchObject({
      simulated: false,
      description: "model llama3 at 127.0.0.1:9 (Chat Completions)",
    });
  });
});
