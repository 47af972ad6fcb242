import type { IncomingMessage, ServerResponse } from "node:http";
import { pause, readJsonObject, sendJson } from "./http.js";
import { pageOf, readPaging, type SimulatorRecords } from "./resources.js";
import type { Scripted, SimulatorContext, SimulatorRequest } from "./scripted.js";

const MORE_INFO = "https://www.twilio.com/docs/errors";
const ASSISTANT_PATH = /^\/v1\/Assistants\/([^/]+)\/(Messages|Feedbacks)\/?$/;
const SESSION_MESSAGES_PATH = /^\/v1\/Sessions\/([^/]+)\/Messages\/?$/;

export function sendTwilioError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { code, message, more_info: `${MORE_INFO}/${code}`, status });
}

/**
 * Twilio's side: `POST /v1/Assistants/{id}/Messages`, the assistant's Feedbacks (POST, GET) and
 * `GET /v1/Sessions/{id}/Messages`, with Twilio's auth, validation, error shapes and answer schemas,
 * and per-session memory. Returns false when the path is not one of them.
 */
export function twilioRoutes(
  context: SimulatorContext,
  records: SimulatorRecords,
  options: { accountSid: string; username: string; authToken: string; assistantId: string },
) {
  const expectedAuth = `Basic ${Buffer.from(`${options.username}:${options.authToken}`).toString("base64")}`;

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const assistantRoute = ASSISTANT_PATH.exec(url.pathname);
    const sessionRoute = SESSION_MESSAGES_PATH.exec(url.pathname);
    if (!assistantRoute && !sessionRoute) return false;
    const allowed =
      assistantRoute?.[2] === "Messages" ? ["POST"] : assistantRoute ? ["GET", "POST"] : ["GET"];
    if (!allowed.includes(req.method ?? "")) {
      sendTwilioError(res, 405, 20004, "Method not allowed");
    } else if (req.headers.authorization !== expectedAuth) {
      sendTwilioError(res, 401, 20003, "Authenticate");
    } else if (sessionRoute) {
      listMessages(res, decodeURIComponent(sessionRoute[1] ?? ""), url);
    } else if (decodeURIComponent(assistantRoute?.[1] ?? "") !== options.assistantId) {
      sendTwilioError(
        res,
        404,
        20404,
        `The requested resource /Assistants/${assistantRoute?.[1]} was not found`,
      );
    } else if (assistantRoute?.[2] === "Feedbacks") {
      await (req.method === "GET" ? listFeedbacks(res, url) : createFeedback(req, res));
    } else {
      await sendMessage(req, res);
    }
    return true;
  }

  async function sendMessage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const payload = await readJsonObject(req);
    if (payload === null) return sendTwilioError(res, 400, 20001, "Request body must be a JSON object");
    const { identity, body } = payload;
    if (typeof identity !== "string" || !/^[a-z_]+:.+$/.test(identity)) {
      return sendTwilioError(res, 400, 20001, "Invalid parameter: identity must be type:value");
    }
    if (typeof body !== "string" || body === "")
      return sendTwilioError(res, 400, 20001, "Missing required parameter body");
    const sessionId =
      typeof payload.session_id === "string" && payload.session_id ? payload.session_id : identity;

    const request: SimulatorRequest = { identity, body, sessionId, history: records.history(sessionId) };
    const scripted = context.scriptFor(request);
    // Twilio never processes a request it answers 429: the session does not remember it.
    if (scripted.kind !== "rate_limited") records.addMessage(sessionId, identity, "user", body);
    if (scripted.kind === "hang") return context.hang(res);
    await pause((scripted.kind === "answer" ? scripted.delayMs : undefined) ?? context.latencyMs);
    if (scripted.kind === "answer") records.addMessage(sessionId, identity, "assistant", scripted.body);
    answer(res, scripted, sessionId);
  }

  async function createFeedback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const payload = await readJsonObject(req);
    if (payload === null) return sendTwilioError(res, 400, 20001, "Request body must be a JSON object");
    const { session_id: sessionId, message_id: messageId, score, text } = payload;
    if (typeof sessionId !== "string" || sessionId === "")
      return sendTwilioError(res, 400, 20001, "Missing required parameter session_id");
    if (messageId !== undefined && (typeof messageId !== "string" || !/^aia_msg_.+$/.test(messageId))) {
      return sendTwilioError(res, 400, 20001, "Invalid parameter message_id: must match ^aia_msg_.+$");
    }
    // The spec requires only session_id; a score, when sent, is a number from 0 to 1.
    if (score !== undefined && (typeof score !== "number" || !(score >= 0 && score <= 1))) {
      return sendTwilioError(res, 400, 20001, "Invalid parameter score: must be a number from 0 to 1");
    }
    if (text !== undefined && typeof text !== "string")
      return sendTwilioError(res, 400, 20001, "Invalid parameter text: must be a string");
    await pause(context.latencyMs);
    const feedback = records.addFeedback({
      sessionId,
      messageId: messageId ?? "",
      score: score ?? null,
      text: text ?? "",
    });
    sendJson(res, 201, feedback);
  }

  function listFeedbacks(res: ServerResponse, url: URL) {
    const paging = readPaging(url.searchParams);
    if (typeof paging === "string") return sendTwilioError(res, 400, 20001, paging);
    const page = pageOf(records.feedbacks, paging, `${context.baseUrl()}${url.pathname}`, "feedbacks");
    sendJson(res, 200, { feedbacks: page.items, meta: page.meta });
  }

  function listMessages(res: ServerResponse, sessionId: string, url: URL) {
    const paging = readPaging(url.searchParams);
    if (typeof paging === "string") return sendTwilioError(res, 400, 20001, paging);
    const messages = records.messages(sessionId);
    if (!messages)
      return sendTwilioError(res, 404, 20404, `The requested resource /Sessions/${sessionId} was not found`);
    const page = pageOf(messages, paging, `${context.baseUrl()}${url.pathname}`, "messages");
    sendJson(res, 200, { messages: page.items, meta: page.meta });
  }

  function answer(
    res: ServerResponse,
    scripted: Exclude<Scripted, { kind: "hang" }>,
    sessionId: string,
  ): void {
    // No `error` field unless there is an error: the spec's `error` is a string, not nullable.
    const base = { session_id: sessionId, account_sid: options.accountSid, flagged: false, aborted: false };
    if (scripted.kind === "answer") {
      sendJson(res, 200, {
        ...base,
        status: "Success",
        flagged: scripted.flagged ?? false,
        body: scripted.body,
      });
    } else if (scripted.kind === "aborted") {
      sendJson(res, 200, { ...base, status: "Success", aborted: true, body: "" });
    } else if (scripted.kind === "failure") {
      sendJson(res, 200, { ...base, status: "Failed", body: "", error: scripted.error });
    } else if (scripted.kind === "rate_limited") {
      if (scripted.retryAfterSeconds !== null)
        res.setHeader("retry-after", String(scripted.retryAfterSeconds));
      sendTwilioError(res, 429, 20429, "Too many concurrent requests");
    } else {
      sendTwilioError(res, 500, 20500, "Internal server error");
    }
  }

  return handle;
}
