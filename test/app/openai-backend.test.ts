import { afterEach, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { memoryLogger } from "../support/core.js";
import { type DoubleAnswer, type HttpDouble, startHttpDouble } from "../support/http-double.js";
import { envelope, mentionEvent, messageEvent, postSigned } from "../support/slack-events.js";
import { type Backends, SIGNING_SECRET, startBackends } from "./support.js";

/**
 * The whole bridge on the OpenAI-compatible backend, over real HTTP on 127.0.0.1: Slack events
 * signed and posted to it, the Slack Web API double, and either the simulator's Chat Completions
 * side or a double that answers what each test says.
 */
let backends: Backends | undefined;
let double: HttpDouble | undefined;
let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  await backends?.close();
  await double?.close();
  app = undefined;
  backends = undefined;
  double = undefined;
});

async function start(extra: Record<string, string> = {}): Promise<string> {
  backends = await startBackends();
  const { logger } = memoryLogger("silent");
  app = await startApp(
    backends.config({
      ASSISTANT_BACKEND: "openai",
      OPENAI_BASE_URL: `${backends.simulator.url}/v1`,
      OPENAI_API_KEY: backends.simulator.openAiKey ?? "",
      OPENAI_MODEL: "gpt-test",
      SHUTDOWN_GRACE_MS: "1000",
      ...extra,
    }),
    { logger, terminal: null, onTerminalEnd: () => {}, host: "127.0.0.1" },
  );
  await app.started;
  return app.url ?? "";
}

/** Starts the bridge against a Chat Completions double answering `answer` for every call. */
async function startOnDouble(answer: (body: Record<string, unknown>) => DoubleAnswer): Promise<string> {
  double = await startHttpDouble((request) => answer(JSON.parse(request.body)));
  return start({ OPENAI_BASE_URL: `${double.url}/v1`, OPENAI_API_KEY: "sk-test-key" });
}

/** Mentions the bot in `thread` (a new thread when absent); resolves once Slack got `posts` posts in all. */
async function ask(url: string, text: string, posts: number, thread?: string, retryNum?: number) {
  const event = mentionEvent({ text: `<@U0BOT> ${text}`, ...(thread ? { thread_ts: thread } : {}) });
  const body = envelope(event);
  await postSigned(`${url}/slack/events`, body, { secret: SIGNING_SECRET });
  if (retryNum !== undefined) {
    await postSigned(`${url}/slack/events`, body, { secret: SIGNING_SECRET, retryNum });
  }
  const calls = (await backends?.slack.waitFor("chat.postMessage", posts)) ?? [];
  return { ts: String(event.ts), text: String(calls[posts - 1]?.args.text ?? "") };
}

/** The user and assistant texts of a Chat Completions request, in order, after the system message. */
function conversation(request: { messages: ReadonlyArray<{ role: string; content?: unknown }> }) {
  return request.messages.map((m) => `${m.role}: ${String(m.content)}`);
}

async function readiness(url: string): Promise<{ status: number; reasons: string[] }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, reasons: ((await response.json()) as { reasons: string[] }).reasons };
}

const completion = (content: string, finishReason = "stop", refusal: string | null = null) => ({
  status: 200,
  body: {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content, refusal }, finish_reason: finishReason }],
  },
});
const openAiError = (status: number, type: string, code: string | null, message: string) => ({
  status,
  body: { error: { message, type, param: null, code } },
});

describe("the OpenAI-compatible backend, end to end through Slack", () => {
  it("sends each thread's earlier turns in order, and keeps threads apart", async () => {
    const url = await start({ ASSISTANT_INSTRUCTIONS: "Be brief." });
    const first = await ask(url, "one", 1);
    await ask(url, "two", 2, first.ts);
    await ask(url, "three", 3, first.ts);
    await ask(url, "elsewhere", 4);

    const requests = backends?.simulator.chatRequests ?? [];
    expect(requests).toHaveLength(4);
    const [, , third, other] = requests.map((r) => conversation(r));
    expect(third?.[0]).toBe("system: Be brief.");
    expect(third?.slice(1).filter((line) => line.startsWith("user:"))).toEqual([
      "user: one",
      "user: two",
      "user: three",
    ]);
    expect(third?.filter((line) => line.startsWith("assistant:"))).toHaveLength(2);
    expect(other?.slice(1)).toEqual(["user: elsewhere"]);
  });

  it("keeps the history within ASSISTANT_HISTORY_MAX_CHARS", async () => {
    const url = await start({ ASSISTANT_HISTORY_MAX_CHARS: "2000" });
    const first = await ask(url, "#long=900 first", 1);
    for (let n = 2; n <= 4; n++) await ask(url, `#long=900 q${n}`, n, first.ts);
    await ask(url, "last", 5, first.ts);
    const last = backends?.simulator.chatRequests.at(-1);
    const said = conversation(last ?? { messages: [] }).filter((line) => line.startsWith("user:"));
    // Turns of about 1,000 characters: the newest one fits in 2,000, and the new question always goes.
    expect(said).toEqual(["user: #long=900 q4", "user: last"]);
  });

  it("appends a turn once when Slack retries the event, and once for its message-event twin", async () => {
    const url = await start();
    const first = await ask(url, "once", 1, undefined, 1);
    const twin = messageEvent({ text: "<@U0BOT> once", ts: first.ts });
    await postSigned(`${url}/slack/events`, envelope(twin), { secret: SIGNING_SECRET });
    await ask(url, "next", 2, first.ts);
    const said = conversation(backends?.simulator.chatRequests.at(-1) ?? { messages: [] });
    expect(said.filter((line) => line.startsWith("user:"))).toEqual(["user: once", "user: next"]);
    expect(backends?.simulator.chatRequests).toHaveLength(2);
  });

  it("shows a refusal with the flagged warning, and a cut-short answer with its line", async () => {
    const url = await startOnDouble((body) => {
      const said = String((body.messages as Array<{ content: string }>).at(-1)?.content);
      return said.includes("refuse")
        ? completion("", "stop", "I can't help with that.")
        : completion("The beginning of a long story", "length");
    });
    const refused = await ask(url, "refuse this", 1);
    expect(refused.text).toMatch(/Warning: the assistant's safety checks flagged this answer/);
    expect(refused.text).toContain("I can't help with that.");
    const cut = await ask(url, "tell me a story", 2);
    expect(cut.text).toContain("The beginning of a long story");
    expect(cut.text).toMatch(/The assistant stopped here: this answer reached the model's length limit/);
  });

  it("401: users told the truth, /readyz names the OpenAI credentials, later messages spend no call", async () => {
    const url = await startOnDouble(() =>
      openAiError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    );
    for (let n = 1; n <= 4; n++) {
      const { text } = await ask(url, `hello ${n}`, n);
      expect(text).toMatch(/^Sorry, the assistant is unavailable/);
    }
    expect(double?.seen).toHaveLength(1);
    const ready = await readiness(url);
    expect(ready.status).toBe(503);
    expect(ready.reasons).toEqual([
      expect.stringMatching(/^assistant: the OpenAI-compatible server refused the credentials \(HTTP 401\)/),
    ]);
  });

  it("insufficient_quota: not retried, users told unavailable, /readyz says the cause", async () => {
    const url = await startOnDouble(() =>
      openAiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota."),
    );
    const { text } = await ask(url, "hello", 1);
    expect(text).toMatch(/^Sorry, the assistant is unavailable/);
    expect(double?.seen).toHaveLength(1);
    const ready = await readiness(url);
    expect(ready.status).toBe(503);
    expect(ready.reasons.join()).toMatch(/insufficient_quota.*You exceeded your current quota/);
  });

  it("a 429 rate limit with retry-after-ms: waited for and retried", async () => {
    let first = true;
    const url = await startOnDouble(() => {
      if (!first) return completion("After the wait.");
      first = false;
      return {
        ...openAiError(429, "requests", "rate_limit_exceeded", "slow down"),
        headers: { "retry-after-ms": "50" },
      };
    });
    const { text } = await ask(url, "hello", 1);
    expect(text).toBe("After the wait.");
    expect(double?.seen).toHaveLength(2);
  });

  it("context too long: tried again with less history, then the question alone is refused with a notice", async () => {
    const url = await startOnDouble((body) => {
      const messages = body.messages as Array<{ role: string; content: string }>;
      const question = messages.at(-1)?.content ?? "";
      if (question.includes("huge") || (question.includes("big") && messages.length > 1)) {
        return openAiError(400, "invalid_request_error", "context_length_exceeded", "maximum context length");
      }
      return completion(`re: ${question}`);
    });
    const first = await ask(url, "small", 1);
    const big = await ask(url, "big", 2, first.ts);
    expect(big.text).toBe("re: big");
    const huge = await ask(url, "huge", 3, first.ts);
    expect(huge.text).toMatch(/too long for the assistant's model/);
    const sizes = (double?.seen ?? []).map((r) => (JSON.parse(r.body).messages as unknown[]).length);
    // small; big with one turn, then none; huge with two turns, one, none.
    expect(sizes).toEqual([1, 3, 1, 5, 3, 1]);
    expect((await readiness(url)).status).toBe(200);
  });
});

describe("Twilio's retirement, end to end (real Bolt, Slack double, Twilio double)", () => {
  it.each([
    {
      answer: {
        status: 404,
        body: { code: 20404, message: "The requested resource was not found", status: 404 },
      },
      reason: "(HTTP 404, error 20404)",
    },
    { answer: { status: 410, body: "<html>Gone</html>" }, reason: "(HTTP 410)" },
  ])(
    "$answer.status: counted as gone, /readyz 503, users told unavailable, later messages spend no call",
    async ({ answer, reason }) => {
      double = await startHttpDouble(() => answer);
      backends = await startBackends();
      const { logger, lines } = memoryLogger("info");
      app = await startApp(
        backends.config({ TWILIO_ASSISTANTS_URL: double.url, SHUTDOWN_GRACE_MS: "1000" }),
        {
          logger,
          terminal: null,
          onTerminalEnd: () => {},
          host: "127.0.0.1",
        },
      );
      await app.started;
      const url = app.url ?? "";
      const { text } = await ask(url, "hello", 1);
      expect(text).toMatch(/^Sorry, the assistant is unavailable/);
      expect(text).not.toMatch(/try again in a moment/);
      const ready = await readiness(url);
      expect(ready.status).toBe(503);
      expect(ready.reasons).toEqual([
        `assistant: Twilio AI Assistants did not find the assistant and may be retired ${reason}`,
      ]);

      // The breaker is open: the next question is told the same without a call to Twilio.
      const second = await ask(url, "anyone there?", 2);
      expect(second.text).toMatch(/^Sorry, the assistant is unavailable/);
      expect(second.text).not.toMatch(/try again in a moment/);
      expect(double.seen).toHaveLength(1);
      const gone = (await app.metrics.assistantCalls.get()).values.find((v) => v.labels.outcome === "gone");
      expect(gone?.value).toBe(1);
      const held = (await app.metrics.callsHeld.get()).values.find((v) => v.labels.reason === "gone");
      expect(held?.value).toBe(1);
      const advice = lines
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.msg.includes("ASSISTANT_BACKEND=openai"));
      expect(advice.map((line) => line.level)).toEqual([50]);
    },
  );
});
