import { createServer as createHttpServer } from "node:http";
import { Agent } from "undici";
import { afterAll, describe, expect, it, test } from "vitest";
import { callWithin, createSlackCaller } from "../../../adapters/slack/api.js";
import { describeStartFailure } from "../../../adapters/slack/credentials.js";
import { closedPort } from "../../support/ports.js";
import { envelope, mentionEvent, postSigned } from "../../support/slack-events.js";
import { SIGNING_SECRET, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

const until = async (check: () => boolean, timeoutMs = 5_000) => {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const FAST = { credentialProbeMs: 100, posting: { attemptTimeoutMs: 500 } };

async function unanswerable(h: Awaited<ReturnType<typeof start>>): Promise<number> {
  const values = (await h.core.metrics.messagesUnanswerable.get()).values;
  return values.find((v) => v.labels.reason === "credentials")?.value ?? 0;
}

describe("Slack credentials that stop working", () => {
  test.each(["token_revoked", "invalid_auth", "account_inactive"])(
    "%s on a post: not ready naming it, logged once, later messages held without an assistant call, answered once it works",
    async (code) => {
      const h = await start({ adapter: FAST });
      h.api.fail("chat.postMessage", code, 1);
      h.api.fail("auth.test", code, 1_000);
      await h.deliver(mentionEvent({ text: "<@U0BOT> first" }));
      await until(() => h.adapter.notReadyReason() !== null);
      expect(h.adapter.notReadyReason()).toBe(
        `slack: the bot token no longer works (${code}); reinstall the app or set a new SLACK_BOT_TOKEN`,
      );

      // Acknowledged and queued, but the assistant is not asked while no reply could be posted.
      expect(await h.deliver(mentionEvent({ text: "<@U0BOT> second" }))).toBe(200);
      expect(await h.deliver(mentionEvent({ text: "<@U0BOT> third" }))).toBe(200);
      expect(h.core.simulator.received.map((r) => r.body)).toEqual(["first"]);
      expect(await unanswerable(h)).toBe(0);
      const errors = h.core.logLines.filter((l) => l.includes("bot token no longer works"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('"level":50');

      // auth.test keeps probing; once the token works again, so does the bridge.
      await until(() => h.api.callsTo("auth.test").length >= 3);
      h.api.fail("auth.test", code, 0);
      await until(() => h.adapter.notReadyReason() === null);
      await until(() => h.api.messages.length === 2);
      await h.deliver(mentionEvent({ text: "<@U0BOT> fourth" }));
      await until(() => h.api.messages.length === 3);
      expect(h.core.simulator.received.map((r) => r.body).sort()).toEqual([
        "first",
        "fourth",
        "second",
        "third",
      ]);
    },
  );

  test("the tokens_revoked event for the bot's token makes the bridge not ready", async () => {
    const h = await start({ adapter: FAST });
    h.api.fail("auth.test", "token_revoked", 1_000);
    const event = { type: "tokens_revoked", tokens: { oauth: [], bot: ["U0BOT"] } };
    expect(await h.deliver(event)).toBe(200);
    expect(h.adapter.notReadyReason()).toMatch(/\(tokens_revoked\)/);
    expect(await h.deliver(mentionEvent())).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.core.simulator.received).toEqual([]);
  });

  test("tokens_revoked for users' OAuth tokens only changes nothing", async () => {
    const h = await start({ adapter: FAST });
    expect(await h.deliver({ type: "tokens_revoked", tokens: { oauth: ["U0ANA"] } })).toBe(200);
    expect(h.adapter.notReadyReason()).toBeNull();
  });

  test("app_uninstalled makes the bridge not ready until auth.test works again", async () => {
    const h = await start({ adapter: FAST });
    h.api.fail("auth.test", "account_inactive", 2);
    const response = await postSigned(h.eventsUrl, envelope({ type: "app_uninstalled" }), {
      secret: SIGNING_SECRET,
    });
    expect(response.status).toBe(200);
    expect(h.adapter.notReadyReason()).toMatch(/\(app_uninstalled\)/);
    await until(() => h.adapter.notReadyReason() === null, 3_000);
    expect(h.api.callsTo("auth.test").length).toBeGreaterThanOrEqual(4);
  });
});

const pool = new Agent();
afterAll(() => pool.close());

/** What the adapter's Web API transport throws for auth.test against `apiUrl`. */
async function authTestError(apiUrl: string): Promise<unknown> {
  const call = createSlackCaller({ apiUrl, token: "xoxb-start-failure-secret", dispatcher: pool });
  return callWithin(call, "auth.test", {}, 5_000).then(
    () => {
      throw new Error("auth.test unexpectedly succeeded");
    },
    (error: unknown) => error,
  );
}

describe("Slack start failures", () => {
  it("names SLACK_API_URL, its host, auth.test and the network error when Slack cannot be reached", async () => {
    const port = await closedPort();
    const apiUrl = `http://127.0.0.1:${port}/api/`;
    expect(describeStartFailure(await authTestError(apiUrl), apiUrl)).toBe(
      `could not reach SLACK_API_URL (127.0.0.1:${port}) for auth.test: ECONNREFUSED`,
    );
  });

  it("says what Slack answered: an HTTP status, or its error code", async () => {
    const server = createHttpServer((request, response) => {
      if (request.url?.includes("busy")) response.writeHead(503).end();
      else
        response
          .writeHead(200, { "content-type": "application/json" })
          .end('{"ok":false,"error":"invalid_auth"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const host = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    try {
      const busy = `http://${host}/busy/`;
      expect(describeStartFailure(await authTestError(busy), busy)).toBe(
        `auth.test on SLACK_API_URL (${host}) answered HTTP 503`,
      );
      const refused = `http://${host}/api/`;
      const text = describeStartFailure(await authTestError(refused), refused);
      expect(text).toBe("auth.test failed (invalid_auth)");
      expect(text).not.toContain("xoxb-");
    } finally {
      server.close();
    }
  });
});
