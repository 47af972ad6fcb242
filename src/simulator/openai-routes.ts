import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";
import { pause, readJsonObject, sendJson } from "./http.js";
import type { Scripted, SimulatorContext, SimulatorRequest } from "./scripted.js";

const COMPLETIONS_PATH = /^\/v1\/chat\/completions\/?$/;
const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);

export function sendOpenAiError(
  res: ServerResponse,
  status: number,
  type: string,
  code: string | null,
  message: string,
): void {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

/**
 * The Chat Completions side: `POST /v1/chat/completions`, stateless like the real thing (the client
 * sends the conversation), with OpenAI's error shape. With a key, it wants `Authorization: Bearer <key>`
 * (or Azure's `api-key: <key>`). Returns false when the path is not its own.
 */
export function openAiRoutes(
  context: SimulatorContext,
  options: { apiKey: string | null; received: ChatCompletionCreateParamsNonStreaming[] },
) {
  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (!COMPLETIONS_PATH.test(url.pathname)) return false;
    if (req.method !== "POST") {
      sendOpenAiError(res, 405, "invalid_request_error", null, "Method not allowed");
    } else if (
      options.apiKey !== null &&
      req.headers.authorization !== `Bearer ${options.apiKey}` &&
      req.headers["api-key"] !== options.apiKey
    ) {
      sendOpenAiError(res, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.");
    } else {
      await complete(req, res);
    }
    return true;
  }

  async function complete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const payload = await readJsonObject(req);
    const problem = payload === null ? "the body must be a JSON object" : invalidRequest(payload);
    if (payload === null || problem !== null) {
      return sendOpenAiError(res, 400, "invalid_request_error", null, problem ?? "invalid request");
    }
    const params = payload as unknown as ChatCompletionCreateParamsNonStreaming;
    options.received.push(params);
    const said = params.messages.filter((m) => m.role === "user").map((m) => textOf(m.content));
    const request: SimulatorRequest = {
      identity: typeof params.safety_identifier === "string" ? params.safety_identifier : "",
      body: said.at(-1) ?? "",
      sessionId: "",
      history: said.slice(0, -1),
    };
    const scripted = context.scriptFor(request);
    if (scripted.kind === "hang") return context.hang(res);
    await pause((scripted.kind === "answer" ? scripted.delayMs : undefined) ?? context.latencyMs);
    answer(res, scripted, params.model);
  }

  function answer(res: ServerResponse, scripted: Exclude<Scripted, { kind: "hang" }>, model: string) {
    if (scripted.kind === "rate_limited") {
      if (scripted.retryAfterSeconds !== null)
        res.setHeader("retry-after", String(scripted.retryAfterSeconds));
      return sendOpenAiError(res, 429, "requests", "rate_limit_exceeded", "Rate limit reached for requests");
    }
    if (scripted.kind === "server_error") {
      return sendOpenAiError(
        res,
        500,
        "server_error",
        null,
        "The server had an error processing your request.",
      );
    }
    // Chat Completions has no "aborted" or "failed" answer: the nearest are a cut answer and an empty one.
    const [content, finishReason]: [string, ChatCompletion.Choice["finish_reason"]] =
      scripted.kind === "answer"
        ? [scripted.body, scripted.flagged ? "content_filter" : "stop"]
        : scripted.kind === "aborted"
          ? ["The answer stopped he", "length"]
          : ["", "stop"];
    const completion: ChatCompletion = {
      id: `chatcmpl-${randomBytes(12).toString("hex")}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, refusal: null },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    };
    sendJson(res, 200, completion);
  }

  return handle;
}

/** What makes a request one the real API would refuse, or null: `model` and at least one message. */
function invalidRequest(payload: Record<string, unknown>): string | null {
  if (typeof payload.model !== "string" || payload.model === "") return "you must provide a model parameter";
  const { messages } = payload;
  if (!Array.isArray(messages) || messages.length === 0) return "'messages' must be a non-empty array";
  for (const [index, message] of messages.entries()) {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || !ROLES.has(role)) return `messages[${index}].role is not a known role`;
    if (typeof content !== "string" && !Array.isArray(content))
      return `messages[${index}].content must be a string or an array of parts`;
  }
  if (payload.stream === true) return "the simulator does not stream";
  return null;
}

/** A message's text: the string, or its text parts joined. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
}
