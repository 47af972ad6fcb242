import type { REST } from "discord.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ContextReads } from "../../../adapters/discord/context.js";
import { channelPort } from "../../../adapters/discord/port.js";
import { feedbackRow } from "../../../adapters/discord/render.js";
import type { FeedbackClient } from "../../../src/assistant/types.js";
import { Metrics } from "../../../src/metrics.js";
import { encodeRef } from "../../../src/pipeline/feedback.js";
import { memoryLogger } from "../../support/core.js";
import { testRecorder } from "../../support/feedback.js";

/** The port only packs payloads; no feedback is sent in these tests. */
class UnusedFeedbackClient implements FeedbackClient {
  async sendFeedback(): Promise<{ id: string | null }> {
    throw new Error("not used by the port");
  }
}

/** A REST client that only records what it was asked to post. */
function fakeRest(fail: (route: string) => boolean = () => false) {
  const posts: Array<{ route: string; body: unknown }> = [];
  const rest = {
    post: async (route: string, options?: { body?: unknown }) => {
      posts.push({ route, body: options?.body });
      if (fail(route)) throw new Error("refused");
      return {};
    },
  } as unknown as REST;
  return { rest, posts };
}

/** No port here is marked for a context read: nothing is read. */
const contextReads = new ContextReads({ rest: {} as REST, botId: () => undefined });

describe("channelPort", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends typing at once and again every 8 seconds until stopped", async () => {
    const { rest, posts } = fakeRest();
    const loops = new Set<NodeJS.Timeout>();
    const port = channelPort(
      { channelId: "C", replyTo: "Q", questionId: "Q" },
      {
        rest,
        logger: memoryLogger().logger,
        typingIntervalMs: 8000,
        typingLoops: loops,
        feedback: null,
        followUps: rest,
        contextReads,
      },
    );
    const stop = port.startWorking();
    await vi.advanceTimersByTimeAsync(0);
    expect(posts.map((p) => p.route)).toEqual(["/channels/C/typing"]);
    await vi.advanceTimersByTimeAsync(7999);
    expect(posts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(posts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(16_000);
    expect(posts).toHaveLength(4);
    expect(loops.size).toBe(1);
    await stop();
    expect(loops.size).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(posts).toHaveLength(4);
  });

  it("keeps going when typing fails (it is only a nicety)", async () => {
    const { rest, posts } = fakeRest((route) => route.endsWith("/typing"));
    const { logger } = memoryLogger();
    const port = channelPort(
      { channelId: "C", replyTo: null, questionId: "Q" },
      {
        rest,
        logger,
        typingIntervalMs: 8000,
        typingLoops: new Set(),
        feedback: null,
        followUps: rest,
        contextReads,
      },
    );
    const stop = port.startWorking();
    await vi.advanceTimersByTimeAsync(8000);
    expect(posts).toHaveLength(2);
    await stop();
  });

  it("posts a reply's parts in order, only the first one answering the question", async () => {
    const { rest, posts } = fakeRest();
    const port = channelPort(
      { channelId: "C", replyTo: "Q", questionId: "Q" },
      {
        rest,
        logger: memoryLogger().logger,
        typingIntervalMs: 8000,
        typingLoops: new Set(),
        feedback: null,
        followUps: rest,
        contextReads,
      },
    );
    await port.post({ kind: "answer", text: "word ".repeat(1000), requestId: "r1", feedback: null });
    expect(posts.length).toBeGreaterThan(1);
    const bodies = posts.map((p) => p.body as Record<string, unknown>);
    expect(bodies[0]?.message_reference).toEqual({ message_id: "Q", fail_if_not_exists: false });
    expect(bodies.slice(1).every((b) => b.message_reference === undefined)).toBe(true);
    expect(new Set(bodies.map((b) => b.nonce)).size).toBe(bodies.length);
  });

  it("puts the feedback row on the last part of an answer only, and posts without it when the store is down", async () => {
    const { rest, posts } = fakeRest();
    const { logger, lines } = memoryLogger();
    const { recorder, store } = testRecorder(new UnusedFeedbackClient(), logger, new Metrics());
    const port = channelPort(
      { channelId: "C", replyTo: "Q", questionId: "Q" },
      {
        rest,
        logger,
        typingIntervalMs: 8000,
        typingLoops: new Set(),
        feedback: recorder,
        followUps: rest,
        contextReads,
      },
    );
    const feedback = { answerId: "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", sessionId: "discord__dm/1500/1600" };
    await port.post({ kind: "answer", text: "word ".repeat(1000), requestId: feedback.answerId, feedback });
    const bodies = posts.map((p) => p.body as Record<string, unknown>);
    expect(bodies.slice(0, -1).every((b) => b.components === undefined)).toBe(true);
    expect(bodies.at(-1)?.components).toEqual([feedbackRow(encodeRef(feedback))]);

    posts.length = 0;
    store.down = true;
    const long = { ...feedback, sessionId: "x".repeat(100) };
    await port.post({ kind: "answer", text: "hi", requestId: feedback.answerId, feedback: long });
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).not.toHaveProperty("components");
    expect(lines.join("")).toContain("answer posted without feedback buttons");
  });

  it("derives nonces from the question, so two processes answering it (a rolling restart) post once", async () => {
    const first = fakeRest();
    const second = fakeRest();
    const options = {
      logger: memoryLogger().logger,
      typingIntervalMs: 8000,
      typingLoops: new Set<NodeJS.Timeout>(),
      feedback: null,
      followUps: first.rest,
      contextReads,
    };
    const target = { channelId: "C", replyTo: "Q", questionId: "Q" };
    await channelPort(target, { ...options, rest: first.rest }).post({
      kind: "answer",
      text: "hi",
      requestId: "process-1",
      feedback: null,
    });
    await channelPort(target, { ...options, rest: second.rest }).post({
      kind: "answer",
      text: "hi",
      requestId: "process-2",
      feedback: null,
    });
    const nonce = (posts: Array<{ body: unknown }>) =>
      (posts[0]?.body as { nonce?: string } | undefined)?.nonce;
    expect(nonce(first.posts)).toBeDefined();
    expect(nonce(second.posts)).toBe(nonce(first.posts));
  });
});

describe("channelPort and a typing request still on its way", () => {
  it("waits for it before posting the answer, so typing cannot show again after the answer", async () => {
    const order: string[] = [];
    let finishTyping = () => {};
    const rest = {
      post: (route: string) => {
        if (!route.endsWith("/typing")) {
          order.push("message");
          return Promise.resolve({});
        }
        order.push("typing sent");
        return new Promise((resolve) => {
          finishTyping = () => {
            order.push("typing done");
            resolve({});
          };
        });
      },
    } as unknown as REST;
    const port = channelPort(
      { channelId: "C", replyTo: null, questionId: "Q" },
      {
        rest,
        logger: memoryLogger().logger,
        typingIntervalMs: 8000,
        typingLoops: new Set(),
        feedback: null,
        followUps: rest,
        contextReads,
      },
    );
    const stop = port.startWorking();
    const posted = port.post({ kind: "answer", text: "done", requestId: "r", feedback: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["typing sent"]);
    finishTyping();
    await posted;
    await stop();
    expect(order).toEqual(["typing sent", "typing done", "message"]);
  });
});
