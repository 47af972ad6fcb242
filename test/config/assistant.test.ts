import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnv as load, problemsOf } from "../support/config.js";

const TWILIO = {
  TWILIO_ACCOUNT_SID: `AC${"a".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "token-value-1234",
  TWILIO_ASSISTANT_ID: "aia_asst_123",
};
const OPENAI = { OPENAI_API_KEY: "sk-secret-key", OPENAI_MODEL: "gpt-test" };

describe("choosing the assistant backend", () => {
  it("follows what is configured when ASSISTANT_BACKEND is unset", () => {
    expect(load(TWILIO).assistant).toMatchObject({ backend: "twilio", simulated: false });
    expect(load(OPENAI).assistant).toMatchObject({ backend: "openai", simulated: false });
    expect(
      load({ OPENAI_BASE_URL: "http://127.0.0.1:11434/v1", OPENAI_MODEL: "llama3" }).assistant,
    ).toMatchObject({
      backend: "openai",
      simulated: false,
      openai: { baseUrl: "http://127.0.0.1:11434/v1", apiKey: null, model: "llama3" },
    });
    expect(load({}).assistant).toMatchObject({ backend: "twilio", simulated: true });
  });

  it("stops when both are configured, naming the variables found (never their values)", () => {
    const problems = problemsOf({ ...TWILIO, ...OPENAI });
    expect(problems).toEqual([
      "both Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_ASSISTANT_ID) and OpenAI (OPENAI_API_KEY) settings are set: choose the backend with ASSISTANT_BACKEND=twilio or ASSISTANT_BACKEND=openai",
    ]);
    expect(problems.join("\n")).not.toContain("sk-secret-key");
  });

  it("lets ASSISTANT_BACKEND choose when both are configured, checking only the chosen one", () => {
    expect(load({ ...TWILIO, ...OPENAI, ASSISTANT_BACKEND: "twilio" }).assistant.backend).toBe("twilio");
    expect(load({ ...TWILIO, OPENAI_API_KEY: "k", ASSISTANT_BACKEND: "Twilio" }).assistant.backend).toBe(
      "twilio",
    );
    expect(
      load({ TWILIO_ACCOUNT_SID: "AC1", ...OPENAI, ASSISTANT_BACKEND: "openai" }).assistant.backend,
    ).toBe("openai");
    expect(problemsOf({ ASSISTANT_BACKEND: "azure" })).toEqual([
      'ASSISTANT_BACKEND must be one of twilio, openai, got "azure"',
    ]);
  });

  it("runs the simulator speaking Chat Completions for ASSISTANT_BACKEND=openai and nothing else", () => {
    expect(load({ ASSISTANT_BACKEND: "openai" }).assistant).toMatchObject({
      backend: "openai",
      simulated: true,
      openai: { model: "simulator", apiKey: null },
    });
    expect(load({ ASSISTANT_BACKEND: "twilio" }).assistant).toMatchObject({
      backend: "twilio",
      simulated: true,
    });
  });

  it("requires OPENAI_MODEL for a real server", () => {
    expect(problemsOf({ OPENAI_API_KEY: "k" })).toEqual([
      "OPENAI_MODEL is required with the openai backend (the model's name; on Azure OpenAI, the deployment's)",
    ]);
  });
});

describe("OpenAI settings", () => {
  it("applies the documented defaults, and keeps the key secret", () => {
    const config = load(OPENAI);
    expect(config.assistant).toMatchObject({
      timeoutMs: 30_000,
      historyMaxChars: 24_000,
      openai: {
        baseUrl: "https://api.openai.com/v1",
        apiKey: "sk-secret-key",
        apiKeyHeader: "authorization",
        model: "gpt-test",
        instructions: null,
        safetyIdentifier: true,
      },
    });
    expect(config.secrets).toContain("sk-secret-key");
  });

  it("reads Azure's api-key header, the safety_identifier switch and the history bound", () => {
    const config = load({
      ...OPENAI,
      OPENAI_BASE_URL: "https://res.openai.azure.com/openai/v1/",
      OPENAI_API_KEY_HEADER: "api-key",
      OPENAI_SAFETY_IDENTIFIER: "off",
      ASSISTANT_HISTORY_MAX_CHARS: "8000",
    });
    expect(config.assistant).toMatchObject({
      historyMaxChars: 8000,
      openai: {
        baseUrl: "https://res.openai.azure.com/openai/v1",
        apiKeyHeader: "api-key",
        safetyIdentifier: false,
      },
    });
    expect(
      problemsOf({ ...OPENAI, OPENAI_API_KEY_HEADER: "x-key", ASSISTANT_HISTORY_MAX_CHARS: "10" }).sort(),
    ).toEqual([
      'ASSISTANT_HISTORY_MAX_CHARS must be a whole number from 1000 up, got "10"',
      'OPENAI_API_KEY_HEADER must be one of authorization, api-key, got "x-key"',
    ]);
  });

  it("takes ASSISTANT_INSTRUCTIONS as text, or from a file after @, naming the variable when it cannot", () => {
    expect(load({ ...OPENAI, ASSISTANT_INSTRUCTIONS: "You are terse." }).assistant).toMatchObject({
      openai: { instructions: "You are terse." },
    });
    const dir = mkdtempSync(join(tmpdir(), "instructions-"));
    const file = join(dir, "prompt.md");
    writeFileSync(file, "You are a helpful assistant.\nAnswer in French.\n");
    expect(load({ ...OPENAI, ASSISTANT_INSTRUCTIONS: `@${file}` }).assistant).toMatchObject({
      openai: { instructions: "You are a helpful assistant.\nAnswer in French." },
    });
    writeFileSync(join(dir, "empty.md"), "  \n");
    expect(problemsOf({ ...OPENAI, ASSISTANT_INSTRUCTIONS: `@${join(dir, "missing.md")}` })).toEqual([
      `ASSISTANT_INSTRUCTIONS names the file "${join(dir, "missing.md")}", which cannot be read (ENOENT)`,
    ]);
    expect(problemsOf({ ...OPENAI, ASSISTANT_INSTRUCTIONS: `@${join(dir, "empty.md")}` })).toEqual([
      `ASSISTANT_INSTRUCTIONS names the file "${join(dir, "empty.md")}", which is empty`,
    ]);
  });
});
