import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  AssistantApiError,
  AssistantGoneError,
  AssistantNetworkError,
  RateLimitedError,
} from "../../../src/assistant/errors.js";
import {
  createTwilioAssistantClient,
  type TwilioAssistantClient,
  toOutcome,
} from "../../../src/assistant/twilio/client.js";
import type { AssistantRequest } from "../../../src/assistant/types.js";
import {
  type RunningSimulator,
  type Scripted,
  simulatorCredentials,
  startSimulator,
} from "../../../src/simulator/server.js";
import { startHttpDouble } from "../../support/http-double.js";
import { closedPort } from "../../support/ports.js";
import { rejection } from "../../support/rejection.js";

const ASSISTANT = "aia_asst_client";
const REQUEST: AssistantRequest = {
  identity: "user_id:slack_T1_U1",
  body: "hi",
  sessionId: "slack__T1/C1/1",
  mode: "chat",
  history: [],
};

let simulator: RunningSimulator | undefined;
let opened: TwilioAssistantClient | undefined;
afterEach(async () => {
  await opened?.close();
  await simulator?.close();
  simulator = undefined;
  opened = undefined;
});

async function clientFor(
  script?: (body: string) => Scripted | undefined,
  overrides: { password?: string; assistantId?: string; timeoutMs?: number } = {},
) {
  const credentials = simulatorCredentials();
  simulator = await startSimulator({
    ...credentials,
    assistantId: ASSISTANT,
    ...(script ? { script: (request) => script(request.body) } : {}),
  });
  opened = createTwilioAssistantClient({
    baseUrl: simulator.url,
    assistantId: overrides.assistantId ?? ASSISTANT,
    username: credentials.accountSid,
    password: overrides.password ?? credentials.authToken,
    timeoutMs: overrides.timeoutMs ?? 2000,
  });
  return opened;
}

describe("Twilio assistant client against the simulator", () => {
  it("sends identity, body, session_id and mode, and returns the answer", async () => {
    const client = await clientFor();
    const outcome = await client.send(REQUEST);
    expect(outcome.kind).toBe("answer");
    expect(outcome).toMatchObject({ sessionId: REQUEST.sessionId });
    expect(simulator?.received).toEqual([
      { identity: REQUEST.identity, body: "hi", sessionId: REQUEST.sessionId, history: [] },
    ]);
  });

  it("returns flagged, aborted and failure outcomes", async () => {
    const client = await clientFor((body) =>
      body === "f"
        ? { kind: "answer", flagged: true, body: "careful" }
        : body === "a"
          ? { kind: "aborted" }
          : { kind: "failure", error: "tool crashed" },
    );
    expect(await client.send({ ...REQUEST, body: "f" })).toEqual({
      kind: "flagged",
      body: "careful",
      sessionId: REQUEST.sessionId,
    });
    expect(await client.send({ ...REQUEST, body: "a" })).toMatchObject({ kind: "aborted" });
    expect(await client.send({ ...REQUEST, body: "x" })).toEqual({
      kind: "failure",
      error: "tool crashed",
      sessionId: REQUEST.sessionId,
    });
  });

  it("types a 401 as an API error with Twilio's code", async () => {
    const client = await clientFor(undefined, { password: "wrong" });
    const error = await rejection(client.send(REQUEST));
    expect(error).toBeInstanceOf(AssistantApiError);
    expect(error).toMatchObject({ status: 401, code: 20003 });
    expect(error).not.toBeInstanceOf(RateLimitedError);
  });

  it("types an unknown assistant (404, error 20404) as gone, not as a passing failure", async () => {
    const client = await clientFor(undefined, { assistantId: "aia_asst_other" });
    const error = await rejection(client.send(REQUEST));
    expect(error).toBeInstanceOf(AssistantGoneError);
    expect(error).toMatchObject({ status: 404, code: 20404, credentialsRefused: false });
  });

  it("types a 410 as gone, whatever its body", async () => {
    const double = await startHttpDouble(() => ({ status: 410, body: "<html>Gone</html>" }));
    const client = createTwilioAssistantClient({
      baseUrl: double.url,
      assistantId: ASSISTANT,
      username: "ACid",
      password: "pw",
      timeoutMs: 1000,
    });
    try {
      const error = await rejection(client.send(REQUEST));
      expect(error).toBeInstanceOf(AssistantGoneError);
      expect(error).toMatchObject({ status: 410, code: null });
    } finally {
      await client.close();
      await double.close();
    }
  });

  it("keeps the conversation itself: history is never sent", async () => {
    const client = await clientFor();
    expect(client).toMatchObject({ backend: "twilio", keepsHistory: true });
    await client.send({ ...REQUEST, history: [{ question: "q", answer: "a" }] });
    expect(simulator?.received).toMatchObject([{ body: "hi", history: [] }]);
  });

  it("types a 429 as rate limited, with Retry-After in milliseconds", async () => {
    const client = await clientFor(() => ({ kind: "rate_limited", retryAfterSeconds: 2 }));
    const error = await rejection(client.send(REQUEST));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, code: 20429, retryAfterMs: 2000 });
  });

  it("gives no retry-after when the 429 has no header", async () => {
    const client = await clientFor(() => ({ kind: "rate_limited", retryAfterSeconds: null }));
    expect(await rejection(client.send(REQUEST))).toMatchObject({ retryAfterMs: null });
  });

  it("times out a hanging call as 'may have been processed'", async () => {
    const client = await clientFor(() => ({ kind: "hang" }), { timeoutMs: 100 });
    const error = await rejection(client.send(REQUEST));
    expect(error).toBeInstanceOf(AssistantNetworkError);
    expect(error).toMatchObject({ failure: "timeout", mayHaveBeenProcessed: true });
  });

  it("reports a cancelled call when the caller aborts", async () => {
    const client = await clientFor(() => ({ kind: "hang" }));
    const controller = new AbortController();
    const pending = client.send(REQUEST, controller.signal);
    setTimeout(() => controller.abort(), 20);
    expect(await rejection(pending)).toMatchObject({ failure: "cancelled", mayHaveBeenProcessed: true });
  });

  it("reports a refused connection as never sent", async () => {
    const port = await closedPort();
    const client = createTwilioAssistantClient({
      baseUrl: `http://127.0.0.1:${port}`,
      assistantId: ASSISTANT,
      username: "AC",
      password: "x",
      timeoutMs: 2000,
    });
    const error = await rejection(client.send(REQUEST));
    expect(error).toMatchObject({ failure: "refused", mayHaveBeenProcessed: false });
  });

  it("posts to a base URL with a path prefix, and keeps a Twilio error body's message", async () => {
    const seen: Array<{
      method: string | undefined;
      url: string | undefined;
      authorization: string | undefined;
      body: string;
    }> = [];
    const server = createHttpServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: 20001, message: "Invalid parameter", status: 400 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = createTwilioAssistantClient({
      // A proxy in front of Twilio, say; the trailing slash must not double.
      baseUrl: `http://127.0.0.1:${port}/twilio/`,
      assistantId: ASSISTANT,
      username: "ACid",
      password: "pw",
      timeoutMs: 1000,
    });
    try {
      const error = await rejection(client.send({ ...REQUEST, webhook: "https://hook.example.test/x" }));
      expect(error).toBeInstanceOf(AssistantApiError);
      expect(error).toMatchObject({
        status: 400,
        code: 20001,
        message: "Twilio answered HTTP 400: Invalid parameter",
      });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        method: "POST",
        url: `/twilio/v1/Assistants/${ASSISTANT}/Messages`,
        authorization: `Basic ${Buffer.from("ACid:pw").toString("base64")}`,
      });
      expect(JSON.parse(seen[0]?.body ?? "")).toEqual({
        identity: REQUEST.identity,
        body: "hi",
        session_id: REQUEST.sessionId,
        mode: "chat",
        webhook: "https://hook.example.test/x",
      });
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("response classification", () => {
  it("compares status case-insensitively", () => {
    expect(toOutcome({ status: "FAILED", error: "x" }).kind).toBe("failure");
    expect(toOutcome({ status: "success", body: "ok" }).kind).toBe("answer");
    expect(toOutcome({ status: "Success", body: "ok", flagged: true }).kind).toBe("flagged");
  });

  it("treats aborted as aborted whatever the status, and an empty answer as a failure", () => {
    expect(toOutcome({ status: "Success", aborted: true, body: "partial" }).kind).toBe("aborted");
    expect(toOutcome({ status: "Success", body: "  " })).toMatchObject({ kind: "failure" });
  });
});

describe("Twilio assistant client: feedback", () => {
  it("posts session_id, score and text to the assistant's Feedbacks and returns the new id", async () => {
    const client = await clientFor();
    const { id } = await client.sendFeedback({ sessionId: REQUEST.sessionId, score: 0, text: "off topic" });
    expect(id).toMatch(/^aia_fdbk_/);
    expect(simulator?.feedbacks).toMatchObject([
      { id, session_id: REQUEST.sessionId, score: 0, text: "off topic", message_id: "" },
    ]);
  });

  it("types a refused feedback as an API error with Twilio's code", async () => {
    const client = await clientFor();
    const error = await rejection(client.sendFeedback({ sessionId: "", score: 1 }));
    expect(error).toBeInstanceOf(AssistantApiError);
    expect(error).toMatchObject({ status: 400, code: 20001 });
  });
});
