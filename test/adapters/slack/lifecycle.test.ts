import { expect, test } from "vitest";
import { mentionEvent } from "../../support/slack-events.js";
import { APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

test("before start, and when auth.test fails, the route answers 503 and readiness says why", async () => {
  const h = await start({ start: false });
  expect(h.adapter.notReadyReason()).toMatch(/auth\.test/);
  expect(await h.deliver(mentionEvent({ text: "<@U0BOT> too early" }))).toBe(503);

  h.api.fail("auth.test", "invalid_auth");
  await expect(h.adapter.start()).rejects.toThrow(/invalid_auth/);
  expect(h.adapter.notReadyReason()).toBe("slack: auth.test failed (invalid_auth)");

  // The lead's start loop calls start() again; this time Slack accepts the token.
  await h.adapter.start();
  expect(h.adapter.notReadyReason()).toBeNull();
  await h.deliver(mentionEvent({ text: "<@U0BOT> now" }));
  await h.api.waitFor("chat.postMessage", 1);
  expect(h.core.simulator.received.map((r) => r.body)).toEqual(["now"]);
});

test("no token or secret reaches the logs, even at debug level", async () => {
  const h = await start({ indicatorDelayMs: 0, users: { U0BEN: { name: "ben" } } });
  await h.deliver(mentionEvent({ text: "<@U0BOT> ask <@U0BEN>" }));
  await h.api.waitFor("reactions.remove", 1);
  const logs = h.core.logLines.join("");
  expect(logs).toContain('"component":"bolt"');
  for (const secret of [BOT_TOKEN, SIGNING_SECRET, APP_TOKEN]) expect(logs).not.toContain(secret);
});

test("no token reaches the logs in Socket Mode either", async () => {
  const h = await start({ mode: "socket" });
  const logs = h.core.logLines.join("");
  expect(logs).toContain("Socket Mode connected");
  for (const secret of [BOT_TOKEN, APP_TOKEN]) expect(logs).not.toContain(secret);
});
