import { describe, expect, test } from "vitest";
import { type ClassifyContext, classifyEvent, messageId, threadKey } from "../../../adapters/slack/events.js";

const body = { team_id: "T1" };
const base = { user: "U1", channel: "C1", ts: "100.000001", text: "<@UBOT> hi" };
const context = (active: string[] = [], threadFollowups = true): ClassifyContext => ({
  botUserId: "UBOT",
  threadFollowups,
  isActiveThread: (key) => active.includes(key),
});

describe("classifyEvent", () => {
  test("a top-level mention roots its own thread", () => {
    expect(classifyEvent(body, { type: "app_mention", ...base }, context())).toEqual({
      take: true,
      message: {
        trigger: "mention",
        team: "T1",
        channel: "C1",
        ts: "100.000001",
        thread: "100.000001",
        user: "U1",
        text: "<@UBOT> hi",
        enterprise: null,
      },
    });
  });

  test("a mention inside a thread belongs to that thread", () => {
    const result = classifyEvent(
      body,
      { type: "app_mention", ...base, ts: "105.000001", thread_ts: "100.000001" },
      context(),
    );
    expect(result.take && result.message.thread).toBe("100.000001");
  });

  test("a direct message is taken, even without a mention", () => {
    const result = classifyEvent(
      body,
      { type: "message", channel_type: "im", ...base, channel: "D1", text: "hi" },
      context(),
    );
    expect(result.take && result.message.trigger).toBe("dm");
  });

  test("the message twin of a mention is taken as a mention (same id, deduped by the core)", () => {
    const result = classifyEvent(body, { type: "message", channel_type: "channel", ...base }, context());
    expect(result.take && result.message.trigger).toBe("mention");
  });

  test("a thread reply needs no mention only in an active thread, and only with follow-ups on", () => {
    const reply = {
      type: "message",
      channel_type: "channel",
      ...base,
      ts: "101.000001",
      thread_ts: "100.000001",
      text: "and?",
    };
    expect(classifyEvent(body, reply, context()).take).toBe(false);
    const active = [threadKey("T1", "C1", "100.000001")];
    const taken = classifyEvent(body, reply, context(active));
    expect(taken.take && taken.message.trigger).toBe("followup");
    expect(classifyEvent(body, reply, context(active, false)).take).toBe(false);
  });

  test("a plain channel message is not for the bot", () => {
    expect(classifyEvent(body, { type: "message", ...base, text: "chatting" }, context())).toEqual({
      take: false,
      reason: "a channel message that is not for the bot",
    });
  });

  test.each([
    ["another bot (bot_id)", { type: "app_mention", ...base, bot_id: "B9" }],
    ["a bot_message", { type: "message", channel_type: "im", ...base, subtype: "bot_message" }],
    ["the bot itself", { type: "message", channel_type: "im", ...base, user: "UBOT" }],
    ["an edit", { type: "message", channel_type: "im", ...base, subtype: "message_changed" }],
    ["a deletion", { type: "message", channel_type: "im", ...base, subtype: "message_deleted" }],
    ["a join", { type: "message", ...base, subtype: "channel_join" }],
    ["another event type", { type: "reaction_added", ...base }],
  ])("skips %s", (_, event) => {
    expect(classifyEvent(body, event, context()).take).toBe(false);
  });

  test.each([
    ["a reply also sent to the channel", "thread_broadcast"],
    ["a message with a file", "file_share"],
  ])("takes %s", (_, subtype) => {
    expect(
      classifyEvent(body, { type: "message", channel_type: "im", ...base, subtype }, context()).take,
    ).toBe(true);
  });

  test.each([
    ["no event at all", undefined],
    ["a string event", "app_mention"],
    ["no user", { type: "app_mention", ...base, user: undefined }],
    ["a numeric user", { type: "app_mention", ...base, user: 42 }],
    ["no channel", { type: "app_mention", ...base, channel: undefined }],
    ["no ts", { type: "app_mention", ...base, ts: undefined }],
    ["a numeric ts", { type: "app_mention", ...base, ts: 100.5 }],
    ["a bad thread_ts", { type: "app_mention", ...base, thread_ts: ["100.1"] }],
    ["a non-string text", { type: "app_mention", ...base, text: { rich: true } }],
    ["a non-string subtype", { type: "message", channel_type: "im", ...base, subtype: 7 }],
  ])("skips a malformed event: %s", (_, event) => {
    const result = classifyEvent(body, event, context());
    expect(result.take).toBe(false);
  });

  test("a missing text is an empty question, not a crash", () => {
    const result = classifyEvent(body, { type: "app_mention", ...base, text: undefined }, context());
    expect(result.take && result.message.text).toBe("");
  });

  test("the team comes from the envelope, else from the event, else the event is skipped", () => {
    const event = { type: "app_mention", ...base, team: "T2" };
    const fromEnvelope = classifyEvent(body, event, context());
    expect(fromEnvelope.take && fromEnvelope.message.team).toBe("T1");
    const fromEvent = classifyEvent({}, event, context());
    expect(fromEvent.take && fromEvent.message.team).toBe("T2");
    expect(classifyEvent(null, { type: "app_mention", ...base }, context())).toEqual({
      take: false,
      reason: "malformed: no team id",
    });
  });

  test("the enterprise is known only for an org-wide install, from the envelope or its authorization", () => {
    const event = { type: "app_mention", ...base };
    const enterpriseOf = (envelope: Record<string, unknown>) => {
      const result = classifyEvent({ ...body, ...envelope }, event, context());
      return result.take ? result.message.enterprise : "skipped";
    };
    expect(enterpriseOf({ enterprise_id: "E1", is_enterprise_install: true })).toBe("E1");
    expect(
      enterpriseOf({ authorizations: [{ enterprise_id: "E1", team_id: null, is_enterprise_install: true }] }),
    ).toBe("E1");
    // A workspace of a Grid organisation with its own install keeps per-workspace identities.
    expect(enterpriseOf({ enterprise_id: "E1", is_enterprise_install: false })).toBeNull();
    expect(enterpriseOf({ enterprise_id: null, is_enterprise_install: true })).toBeNull();
    expect(enterpriseOf({})).toBeNull();
  });
});

test("ids: one per Slack message, one key per thread", () => {
  expect(messageId({ team: "T1", channel: "C1", ts: "1.2" })).toBe("T1/C1/1.2");
  expect(threadKey("T1", "C1", "1.0")).toBe("T1/C1/1.0");
});
