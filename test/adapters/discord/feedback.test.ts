import { describe, expect, it } from "vitest";
import { feedbackReplies } from "../../../src/pipeline/feedback.js";
import { useDiscordHarness } from "../../support/discord-harness.js";
import { DM_CHANNEL_ID, OTHER_USER, USER } from "../../support/discord-ids.js";
import {
  callbackOf,
  click,
  customIds,
  interact,
  type User,
  webhookOf,
} from "../../support/discord-interactions.js";

const start = useDiscordHarness();

describe("discord feedback buttons", () => {
  it("puts 👍/👎 under a DM answer; 👍 is recorded at Twilio and both buttons are disabled", async () => {
    const harness = await start({ core: { feedback: true } });
    harness.dm("hello");
    const [answer] = await harness.rest.messagesIn(DM_CHANNEL_ID, 1);
    if (!answer) throw new Error("no answer");
    const [up, down] = customIds(answer);
    expect(up).toMatch(/^fb:1:/);
    expect(down).toMatch(/^fb:0:/);
    expect(up?.length).toBeLessThanOrEqual(100);

    const interaction = click(harness, answer, up ?? "");
    const [callback] = await harness.rest.waitForCalls(callbackOf(interaction), 1);
    expect(callback?.body).toMatchObject({ type: 6 });
    const [edit] = await harness.rest.waitForCalls(webhookOf(interaction), 1);
    expect(edit).toMatchObject({ method: "PATCH", path: expect.stringMatching(/messages\/%40original$/) });
    const rows = (edit?.body?.components ?? []) as Array<{ components: Array<Record<string, unknown>> }>;
    const buttons = rows[0]?.components;
    expect(buttons?.map((b) => b.disabled)).toEqual([true, true]);
    const sessionId = harness.core.simulator.received[0]?.sessionId;
    expect(harness.core.simulator.feedbacks).toMatchObject([{ session_id: sessionId, score: 1 }]);
  });

  it("asks what went wrong on 👎 with a modal and records the comment sent with it", async () => {
    const harness = await start({ core: { feedback: true } });
    harness.dm("hello");
    const [answer] = await harness.rest.messagesIn(DM_CHANNEL_ID, 1);
    if (!answer) throw new Error("no answer");
    const clicked = click(harness, answer, customIds(answer)[1] ?? "");
    const [modal] = await harness.rest.waitForCalls(callbackOf(clicked), 1);
    expect(modal?.body).toMatchObject({ type: 9, data: { title: "What went wrong?" } });
    const modalId = String((modal?.body?.data as { custom_id?: string } | undefined)?.custom_id);
    expect(modalId.length).toBeLessThanOrEqual(100);
    expect(harness.core.simulator.feedbacks).toEqual([]);

    const submitted = interact(
      harness,
      answer,
      {
        custom_id: modalId,
        components: [
          { type: 1, components: [{ type: 4, custom_id: "comment", value: "It missed the point" }] },
        ],
      },
      { type: 5 },
    );
    await harness.rest.waitForCalls(webhookOf(submitted), 1);
    expect(harness.core.simulator.feedbacks).toMatchObject([{ score: 0, text: "It missed the point" }]);
  });

  it("in a server, confirms ephemerally, once per person; another person may vote", async () => {
    const harness = await start({ core: { feedback: true } });
    const question = harness.mention("hello");
    const [answer] = await harness.rest.messagesIn(question, 1);
    if (!answer) throw new Error("no answer");
    const up = customIds(answer)[0] ?? "";

    const reply = async (user: User) => {
      const interaction = click(harness, answer, up, user, true);
      const [callback] = await harness.rest.waitForCalls(callbackOf(interaction), 1);
      expect(callback?.body).toMatchObject({ type: 5, data: { flags: 64 } });
      const [edit] = await harness.rest.waitForCalls(webhookOf(interaction), 1);
      return edit?.body?.content;
    };
    expect(await reply(USER)).toBe(feedbackReplies.recorded);
    expect(await reply(USER)).toBe(feedbackReplies.already);
    expect(await reply(OTHER_USER)).toBe(feedbackReplies.recorded);
    expect(harness.core.simulator.feedbacks).toHaveLength(2);
  });

  it("tells the voter, ephemerally, when the answer's payload is no longer in the store", async () => {
    const harness = await start({ core: { feedback: true } });
    harness.dm("hello");
    const [answer] = await harness.rest.messagesIn(DM_CHANNEL_ID, 1);
    if (!answer) throw new Error("no answer");
    const interaction = click(harness, answer, "fb:1:answer-that-expired");
    const [followUp] = await harness.rest.waitForCalls(webhookOf(interaction), 1);
    expect(followUp).toMatchObject({ method: "POST", body: { content: feedbackReplies.expired, flags: 64 } });
    expect(harness.core.simulator.feedbacks).toEqual([]);
  });

  it("leaves interactions that are not its own to other listeners, and puts no buttons on notices", async () => {
    const harness = await start({ core: { feedback: true } });
    harness.dm("#fail");
    const [notice] = await harness.rest.messagesIn(DM_CHANNEL_ID, 1);
    if (!notice) throw new Error("no notice");
    expect(customIds(notice)).toEqual([]);
    const foreign = click(harness, notice, "other:1:x");
    await harness.gateway.roundTrip();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(harness.rest.calls.filter(callbackOf(foreign))).toEqual([]);
  });
});
