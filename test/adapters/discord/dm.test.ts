import { describe, expect, it } from "vitest";
import { NEW_CONVERSATION } from "../../../adapters/discord/intake.js";
import { FLAGGED_WARNING } from "../../../src/notices.js";
import type { Scripted, SimulatorRequest } from "../../../src/simulator/server.js";
import { MemoryStore } from "../../../src/state/memory-store.js";
import { type HarnessOptions, useDiscordHarness } from "../../support/discord-harness.js";
import { DM_CHANNEL_ID, OTHER_DM_CHANNEL_ID, OTHER_USER, USER } from "../../support/discord-ids.js";

const start = useDiscordHarness();

function scripted(script: (request: SimulatorRequest) => Scripted | undefined): HarnessOptions {
  return { core: { simulator: { script } } };
}

describe("Discord DMs", () => {
  it("answers a DM with the user's identity and keeps one session for the DM channel", async () => {
    const h = await start();
    const first = h.dm("What is Twilio?");
    const [answer] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    h.dm("And Segment?");
    const answers = await h.rest.messagesIn(DM_CHANNEL_ID, 2);

    const received = h.core.simulator.received;
    expect(received.map((r) => r.body)).toEqual(["What is Twilio?", "And Segment?"]);
    expect(received.map((r) => r.identity)).toEqual([
      `user_id:discord_${USER.id}`,
      `user_id:discord_${USER.id}`,
    ]);
    expect(received[0]?.sessionId).toBe(`discord__dm/${DM_CHANNEL_ID}/${DM_CHANNEL_ID}`);
    expect(received[1]?.sessionId).toBe(received[0]?.sessionId);
    expect(answer?.content).toContain("You said: “What is Twilio?”");
    expect(answer?.body.message_reference).toEqual({ message_id: first, fail_if_not_exists: false });
    expect(answers[1]?.content).toContain("This is message 2 of our conversation");
  });

  it("sends every message idempotently and without pings", async () => {
    const h = await start(scripted(() => ({ kind: "answer", body: "Hi @everyone and <@1234>!" })));
    h.dm("ping them");
    const [answer] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(answer?.content).toBe("Hi @everyone and <@1234>!");
    expect(answer?.body).toMatchObject({
      enforce_nonce: true,
      allowed_mentions: { parse: [], replied_user: false },
    });
    expect(typeof answer?.nonce).toBe("string");
    expect(String(answer?.nonce).length).toBeLessThanOrEqual(25);
    // The token goes to Discord, the way Discord wants it.
    expect(h.rest.calls[0]?.headers.authorization).toMatch(/^Bot /);
  });

  it("posts once when a send's response is lost and discord.js retries it", async () => {
    const h = await start();
    let failures = 0;
    h.rest.override = (call) => {
      if (call.method === "POST" && call.path.endsWith("/messages") && failures === 0) {
        failures++;
        // Discord created the message, but the answer never made it back: a 5xx the client retries.
        return { status: 500, body: { message: "Internal Server Error", code: 0 }, afterEffect: true };
      }
      return undefined;
    };
    h.dm("hello");
    const posts = await h.rest.waitForCalls((c) => c.method === "POST" && c.path.endsWith("/messages"), 2);
    await h.gateway.roundTrip();
    expect(posts).toHaveLength(2);
    expect(posts[1]?.body?.nonce).toBe(posts[0]?.body?.nonce);
    expect(h.rest.created).toHaveLength(1);
  });

  it("starts a fresh conversation at /new, and says so", async () => {
    const h = await start();
    h.dm("remember the number 7");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const newId = h.dm("/new");
    const [, confirmation] = await h.rest.messagesIn(DM_CHANNEL_ID, 2);
    expect(confirmation?.content).toBe(NEW_CONVERSATION);
    expect(confirmation?.body.message_reference).toEqual({ message_id: newId, fail_if_not_exists: false });
    h.dm("what number?");
    const answers = await h.rest.messagesIn(DM_CHANNEL_ID, 3);

    const [before, after] = h.core.simulator.received;
    expect(h.core.simulator.received).toHaveLength(2); // "/new" itself never reaches the assistant
    expect(after?.sessionId).toBe(`discord__dm/${DM_CHANNEL_ID}/${newId}`);
    expect(after?.sessionId).not.toBe(before?.sessionId);
    expect(after?.history).toEqual([]);
    expect(answers[2]?.content).toContain("This is the start of our conversation");
  });

  it("keeps the conversation a /new started across a restart without Redis, by reading the DM history", async () => {
    const h = await start();
    h.dm("first question");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const newId = h.dm("/new");
    await h.rest.messagesIn(DM_CHANNEL_ID, 2);
    h.dm("second question");
    await h.rest.messagesIn(DM_CHANNEL_ID, 3);

    await h.restart({ memory: new MemoryStore() });
    const lookupsBefore = h.rest.calls.filter(
      (c) => c.method === "GET" && c.path.endsWith("/messages"),
    ).length;
    const afterRestart = h.dm("third question");
    await h.rest.messagesIn(DM_CHANNEL_ID, 4);
    h.dm("fourth question");
    await h.rest.messagesIn(DM_CHANNEL_ID, 5);

    const sessions = h.core.simulator.received.map((r) => r.sessionId);
    expect(sessions.slice(1)).toEqual([
      `discord__dm/${DM_CHANNEL_ID}/${newId}`,
      `discord__dm/${DM_CHANNEL_ID}/${newId}`,
      `discord__dm/${DM_CHANNEL_ID}/${newId}`,
    ]);
    // One bounded look back, at the first DM after the restart only.
    const lookups = h.rest.calls.filter((c) => c.method === "GET" && c.path.endsWith("/messages"));
    expect(lookups).toHaveLength(lookupsBefore + 1);
    expect(lookups.at(-1)?.query.get("before")).toBe(afterRestart);
    expect(lookups.at(-1)?.query.get("limit")).toBe("100");
  });

  it("keeps the conversation a /new started across a restart with shared memory, without a lookup", async () => {
    const h = await start();
    h.dm("first question");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const newId = h.dm("/new");
    await h.rest.messagesIn(DM_CHANNEL_ID, 2);
    await h.restart(); // same store: what a restart (or another replica) sees with Redis
    const lookupsBefore = h.rest.calls.filter((c) => c.method === "GET" && c.path.endsWith("/messages"));
    h.dm("after the restart");
    await h.rest.messagesIn(DM_CHANNEL_ID, 3);
    expect(h.core.simulator.received.at(-1)?.sessionId).toBe(`discord__dm/${DM_CHANNEL_ID}/${newId}`);
    const lookups = h.rest.calls.filter((c) => c.method === "GET" && c.path.endsWith("/messages"));
    expect(lookups).toHaveLength(lookupsBefore.length);
  });

  it("keeps DM channels apart: one identity per user, one session per channel", async () => {
    const h = await start();
    h.dm("from Ada");
    h.dm("from Grace", { author: OTHER_USER, channelId: OTHER_DM_CHANNEL_ID });
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    await h.rest.messagesIn(OTHER_DM_CHANNEL_ID, 1);
    const byBody = new Map(h.core.simulator.received.map((r) => [r.body, r]));
    expect(byBody.get("from Grace")?.identity).toBe(`user_id:discord_${OTHER_USER.id}`);
    expect(byBody.get("from Grace")?.sessionId).toBe(
      `discord__dm/${OTHER_DM_CHANNEL_ID}/${OTHER_DM_CHANNEL_ID}`,
    );
    expect(byBody.get("from Ada")?.sessionId).toBe(`discord__dm/${DM_CHANNEL_ID}/${DM_CHANNEL_ID}`);
  });
});

describe("Discord replies", () => {
  it("shows a flagged answer with the warning in the same message", async () => {
    const h = await start(scripted(() => ({ kind: "answer", body: "A risky answer.", flagged: true })));
    h.dm("tell me something risky");
    const [reply] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(reply?.content).toBe(`${FLAGGED_WARNING}\n\nA risky answer.`);
    expect(h.rest.created).toHaveLength(1);
  });

  it("shows the failure notice when the assistant fails", async () => {
    const h = await start(scripted(() => ({ kind: "failure", error: "tool crashed" })));
    h.dm("break please");
    const [reply] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(reply?.content).toMatch(
      /^Sorry, the assistant could not answer this time\. .*\(ref [0-9a-f]{8}\)$/,
    );
  });

  it("splits a 5,000-character answer with a code block into complete messages of at most 2,000", async () => {
    const code = Array.from(
      { length: 60 },
      (_, i) => `    total_${i} = add(total_${Math.max(i - 1, 0)}, ${i})`,
    );
    const prose = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `Paragraph ${i}: ${"the quick brown fox jumps over the lazy dog ".repeat(4)}`,
      );
    const body = [...prose(8), `\`\`\`python\n${code.join("\n")}\n\`\`\``, ...prose(10)].join("\n\n");
    expect(body.length).toBeGreaterThanOrEqual(5000);
    const h = await start(scripted(() => ({ kind: "answer", body })));
    const question = h.dm("give me a long one");
    await h.rest.messagesIn(DM_CHANNEL_ID, 3);
    await h.gateway.roundTrip();
    const parts = h.rest.created.filter((m) => m.channelId === DM_CHANNEL_ID);

    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.content.length).toBeLessThanOrEqual(2000);
      const fences = part.content.split("\n").filter((line) => line.startsWith("```"));
      expect(fences.length % 2, `balanced fences in:\n${part.content}`).toBe(0);
    }
    // Complete: every character of the answer arrives, in order, once the fence lines (added or not)
    // are set aside on both sides.
    const withoutFences = (lines: string[]) =>
      lines
        .filter((line) => !/^```(python)?$/.test(line))
        .join("")
        .replace(/\s+/g, "");
    expect(withoutFences(parts.flatMap((p) => p.content.split("\n")))).toBe(withoutFences(body.split("\n")));
    expect(parts[0]?.body.message_reference).toEqual({ message_id: question, fail_if_not_exists: false });
    expect(parts.slice(1).every((p) => p.body.message_reference === undefined)).toBe(true);
    expect(new Set(parts.map((p) => p.nonce)).size).toBe(parts.length);
  });

  it("shows typing while a slow answer is pending, re-sends it, and stops once the answer is posted", async () => {
    const h = await start({
      ...scripted(() => ({ kind: "answer", body: "Finally.", delayMs: 400 })),
      adapter: { typingIntervalMs: 60 },
    });
    h.dm("take your time");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const typing = () => h.rest.calls.filter((c) => c.path === `/channels/${DM_CHANNEL_ID}/typing`);
    const typingAtAnswer = typing().length;
    expect(typingAtAnswer).toBeGreaterThanOrEqual(3); // at once, then again while waiting
    // Typing stops before the answer goes out, so it never shows again after it.
    const answerIndex = h.rest.calls.findIndex((c) => c.method === "POST" && c.path.endsWith("/messages"));
    const lastTyping = h.rest.calls.findLastIndex((c) => c.path.endsWith("/typing"));
    expect(lastTyping).toBeLessThan(answerIndex);
    await new Promise((resolve) => setTimeout(resolve, 200)); // more than three intervals
    expect(typing()).toHaveLength(typingAtAnswer);
  });
});
