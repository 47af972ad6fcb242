import { describe, expect, it } from "vitest";
import { AssistantGoneError, BackendUnavailableError } from "../../src/assistant/errors.js";
import {
  credentialsRefusedReason,
  GONE_ADVICE,
  goneReason,
  unavailableReason,
} from "../../src/assistant/texts.js";

describe("operator texts", () => {
  it("names each backend's credentials when they are refused", () => {
    expect(credentialsRefusedReason("twilio", 401)).toBe(
      "assistant: Twilio refused the credentials (HTTP 401); check TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or TWILIO_API_KEY/TWILIO_API_SECRET",
    );
    expect(credentialsRefusedReason("openai", 403)).toBe(
      "assistant: the OpenAI-compatible server refused the credentials (HTTP 403); check OPENAI_API_KEY (and OPENAI_API_KEY_HEADER=api-key for Azure OpenAI)",
    );
  });

  it("says Twilio may be retired, and how to switch", () => {
    expect(goneReason(new AssistantGoneError("m", 404, 20404))).toBe(
      "assistant: Twilio AI Assistants did not find the assistant and may be retired (HTTP 404, error 20404)",
    );
    expect(goneReason(new AssistantGoneError("m", 410, null))).toContain("(HTTP 410)");
    expect(GONE_ADVICE).toContain("ASSISTANT_BACKEND=openai");
    expect(GONE_ADVICE).toContain("ASSISTANT_INSTRUCTIONS");
  });

  it("gives operators the cause of an unavailable backend", () => {
    const error = new BackendUnavailableError(
      "the OpenAI-compatible server answered HTTP 429 (insufficient_quota): You exceeded your current quota",
      429,
      "insufficient_quota",
    );
    expect(unavailableReason(error)).toBe(
      "assistant: calls are refused until an operator acts (quota, credits or limits): the OpenAI-compatible server answered HTTP 429 (insufficient_quota): You exceeded your current quota",
    );
  });
});
