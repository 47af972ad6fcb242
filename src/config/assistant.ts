import { readFileSync } from "node:fs";
import { DEFAULT_ANSWER_MAX_CHARS, MIN_ANSWER_MAX_CHARS } from "../answer-cap.js";
import type { AssistantMode, BackendKind } from "../assistant/types.js";
import type { Reader } from "./reader.js";

export interface TwilioSettings {
  baseUrl: string;
  assistantId: string;
  /** Basic auth pair; null for the embedded simulator, which makes its own. */
  credentials: { username: string; password: string } | null;
}

export interface OpenAiSettings {
  /** Up to the version, e.g. `https://api.openai.com/v1` (OPENAI_BASE_URL). */
  baseUrl: string;
  /** OPENAI_API_KEY; null when unset (local servers such as LM Studio need none). */
  apiKey: string | null;
  /** OPENAI_API_KEY_HEADER: `authorization` (Bearer) or `api-key` (Azure OpenAI). */
  apiKeyHeader: "authorization" | "api-key";
  /** OPENAI_MODEL (on Azure, the deployment name); the simulator's own when simulated. */
  model: string;
  /** ASSISTANT_INSTRUCTIONS, the system prompt (read from the file when it starts with `@`); null: none. */
  instructions: string | null;
  /** OPENAI_SAFETY_IDENTIFIER: send a hash of the identity as `safety_identifier`. */
  safetyIdentifier: boolean;
}

interface AssistantCommon {
  /**
   * True when nothing is configured for the backend: the built-in offline simulator answers,
   * speaking the backend's contract.
   */
  simulated: boolean;
  mode: AssistantMode;
  timeoutMs: number;
  maxInputChars: number;
  /** Longer answers are shown as their start and end with a line saying they were cut (ANSWER_MAX_CHARS). */
  maxAnswerChars: number;
  /** ASSISTANT_HISTORY_MAX_CHARS: the history the bridge keeps per session, for backends that keep none. */
  historyMaxChars: number;
}

export type AssistantConfig = AssistantCommon &
  ({ backend: "twilio"; twilio: TwilioSettings } | { backend: "openai"; openai: OpenAiSettings });

const MODES: readonly AssistantMode[] = ["chat", "email", "voice"];
const BACKENDS: readonly BackendKind[] = ["twilio", "openai"];

/** About 6,000 tokens of English: room for a long conversation within small local models' contexts. */
export const DEFAULT_HISTORY_MAX_CHARS = 24_000;
const MIN_HISTORY_MAX_CHARS = 1_000;
/** The model name the simulator answers as when OPENAI_MODEL is unset. */
export const SIMULATOR_MODEL = "simulator";

/**
 * The backend and its settings. ASSISTANT_BACKEND chooses; unset, the choice follows what is
 * configured (TWILIO_* → twilio, OPENAI_BASE_URL or OPENAI_API_KEY → openai, neither → the simulator
 * speaking Twilio's contract, both → a problem). A chosen backend with nothing configured is the
 * simulator speaking that backend's contract. Every variable is read whatever the choice (the
 * unknown-variable warnings need every name), but only the chosen backend's are checked.
 */
export function readAssistant(read: Reader): AssistantConfig {
  const chosen =
    read.optional("ASSISTANT_BACKEND") === null ? null : read.oneOf("ASSISTANT_BACKEND", BACKENDS, "twilio");
  const twilioNames = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_ASSISTANT_ID",
  ];
  const openAiNames = ["OPENAI_BASE_URL", "OPENAI_API_KEY"];
  const twilioSet = twilioNames.filter((name) => read.optional(name) !== null);
  const openAiSet = openAiNames.filter((name) => read.optional(name) !== null);
  const twilio = readTwilio(read);
  const openai = readOpenAi(read);
  const common = {
    mode: read.oneOf("ASSISTANT_MODE", MODES, "chat"),
    timeoutMs: read.int("ASSISTANT_TIMEOUT_MS", 30_000, 1),
    maxInputChars: read.int("ASSISTANT_MAX_INPUT_CHARS", 4000, 1),
    maxAnswerChars: read.int("ANSWER_MAX_CHARS", DEFAULT_ANSWER_MAX_CHARS, MIN_ANSWER_MAX_CHARS),
    historyMaxChars: read.int(
      "ASSISTANT_HISTORY_MAX_CHARS",
      DEFAULT_HISTORY_MAX_CHARS,
      MIN_HISTORY_MAX_CHARS,
    ),
  };

  if (chosen === null && twilioSet.length > 0 && openAiSet.length > 0) {
    read.problem(
      `both Twilio (${twilioSet.join(", ")}) and OpenAI (${openAiSet.join(", ")}) settings are set: choose the backend with ASSISTANT_BACKEND=twilio or ASSISTANT_BACKEND=openai`,
    );
  }
  const backend = chosen ?? (openAiSet.length > 0 && twilioSet.length === 0 ? "openai" : "twilio");
  if (backend === "openai") {
    const simulated = openAiSet.length === 0;
    return { backend, simulated, openai: simulated ? openai.simulated : openai.check(), ...common };
  }
  const simulated = twilioSet.length === 0;
  return { backend, simulated, twilio: simulated ? twilio.simulated : twilio.check(), ...common };
}

/** A backend's settings as read, checked only when it is the one in use. */
interface Settings<T> {
  simulated: T;
  check(): T;
}

function readTwilio(read: Reader): Settings<TwilioSettings> {
  const accountSid = read.optional("TWILIO_ACCOUNT_SID");
  const authToken = read.secret("TWILIO_AUTH_TOKEN");
  const apiKey = read.optional("TWILIO_API_KEY");
  const apiSecret = read.secret("TWILIO_API_SECRET");
  const assistantId = read.optional("TWILIO_ASSISTANT_ID");
  const baseUrl = read.url("TWILIO_ASSISTANTS_URL", "https://assistants.twilio.com");
  return {
    simulated: { baseUrl, assistantId: "aia_asst_simulator", credentials: null },
    check() {
      if (accountSid && !/^AC[0-9a-fA-F]{32}$/.test(accountSid)) {
        read.problem("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits");
      }
      if (apiKey && !/^SK[0-9a-fA-F]{32}$/.test(apiKey)) {
        read.problem("TWILIO_API_KEY must be SK followed by 32 hex digits");
      }
      if (!assistantId)
        read.problem("TWILIO_ASSISTANT_ID is required (aia_asst_…) when Twilio credentials are set");
      else if (!/^aia_asst_.+$/.test(assistantId))
        read.problem("TWILIO_ASSISTANT_ID must start with aia_asst_");

      let credentials: { username: string; password: string } | null = null;
      if (apiKey || apiSecret) {
        if (!apiKey) read.problem("TWILIO_API_KEY is required with TWILIO_API_SECRET");
        if (!apiSecret) read.problem("TWILIO_API_SECRET is required with TWILIO_API_KEY");
        if (apiKey && apiSecret) credentials = { username: apiKey, password: apiSecret };
      } else {
        if (!accountSid)
          read.problem("TWILIO_ACCOUNT_SID is required (or TWILIO_API_KEY + TWILIO_API_SECRET)");
        if (!authToken) read.problem("TWILIO_AUTH_TOKEN is required with TWILIO_ACCOUNT_SID");
        if (accountSid && authToken) credentials = { username: accountSid, password: authToken };
      }
      return { baseUrl, assistantId: assistantId ?? "", credentials };
    },
  };
}

function readOpenAi(read: Reader): Settings<OpenAiSettings> {
  const settings: OpenAiSettings = {
    baseUrl: read.url("OPENAI_BASE_URL", "https://api.openai.com/v1"),
    apiKey: read.secret("OPENAI_API_KEY"),
    apiKeyHeader: read.oneOf("OPENAI_API_KEY_HEADER", ["authorization", "api-key"] as const, "authorization"),
    model: read.optional("OPENAI_MODEL") ?? "",
    instructions: readInstructions(read),
    safetyIdentifier: read.bool("OPENAI_SAFETY_IDENTIFIER", true),
  };
  return {
    simulated: { ...settings, model: settings.model || SIMULATOR_MODEL },
    check() {
      if (settings.model === "") {
        read.problem(
          "OPENAI_MODEL is required with the openai backend (the model's name; on Azure OpenAI, the deployment's)",
        );
      }
      return settings;
    },
  };
}

/**
 * ASSISTANT_INSTRUCTIONS: the text itself, or `@` and a file path (relative to the working
 * directory) to read it from, for prompts longer than a line.
 */
function readInstructions(read: Reader): string | null {
  const raw = read.optional("ASSISTANT_INSTRUCTIONS");
  if (raw === null || !raw.startsWith("@")) return raw;
  const path = raw.slice(1).trim();
  if (path === "") {
    read.problem('ASSISTANT_INSTRUCTIONS is "@" alone: put the file\'s path after the @');
    return null;
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    read.problem(`ASSISTANT_INSTRUCTIONS names the file "${path}", which cannot be read (${code})`);
    return null;
  }
  if (text === "") read.problem(`ASSISTANT_INSTRUCTIONS names the file "${path}", which is empty`);
  return text === "" ? null : text;
}
