import { describe, expect, it } from "vitest";
import { NEW_CONVERSATION } from "../../../adapters/discord/intake.js";
import { feedbackReplies } from "../../../src/pipeline/feedback.js";
import { useDiscordHarness } from "../../support/discord-harness.js";
import { DM_CHANNEL_ID, OTHER_USER, USER } from "../../support/discord-ids.js";
import { callbackOf, click, customIds, type User, webhookOf } from "../../support/discord-interactions.js";

/** Discord through discord.js, the core on the OpenAI-compatible backend (the simulator's Chat Completions side). */
const start = useDiscordHarness();

describe("Discord on the OpenAI-compatible backend", () => {
  it("sends the DM's earlier turns, and /new starts with an empty history", async () => {
    const h = await start({ core: { backend: "openai" } });
    h.dm("remember the number 7");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    h.dm("what number?");
    const answers = await h.rest.messagesIn(DM_CHANNEL_ID, 2);
    expect(answers[1]?.content).toContain("Before this you said: “remember the number 7”");

    h.dm("/new");
    const [, , confirmation] = await h.rest.messagesIn(DM_CHANNEL_ID, 3);
    expect(confirmation?.content).toBe(NEW_CONVERSATION);
    h.dm("and now?");
    const after = await h.rest.messagesIn(DM_CHANNEL_ID, 4);

    expect(h.core.simulator.received.map((r) => r.history)).toEqual([[], ["remember the number 7"], []]);
    expect(after[3]?.content).toContain("This is the start of our conversation");
  });

  it("records one vote per person as a log event and in the metrics (no vendor API)", async () => {
    const h = await start({ core: { backend: "openai", feedback: true } });
    const question = h.mention("hello");
    const [answer] = await h.rest.messagesIn(question, 1);
    if (!answer) throw new Error("no answer");
    const up = customIds(answer)[0] ?? "";
    const reply = async (user: User) => {
      const interaction = click(h, answer, up, user, true);
      await h.rest.waitForCalls(callbackOf(interaction), 1);
      const [edit] = await h.rest.waitForCalls(webhookOf(interaction), 1);
      return edit?.body?.content;
    };
    expect(await reply(USER)).toBe(feedbackReplies.recorded);
    expect(await reply(USER)).toBe(feedbackReplies.already);
    expect(await reply(OTHER_USER)).toBe(feedbackReplies.recorded);

    const events = h.core.logLines.map((line) => JSON.parse(line)).filter((e) => e.event === "feedback");
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ score: 1, msg: "feedback recorded" });
    const votes = (await h.core.metrics.feedbackVotes.get()).values;
    expect(votes.find((v) => v.labels.result === "recorded")?.value).toBe(2);
    expect(votes.find((v) => v.labels.result === "already")?.value).toBe(1);
    expect(h.core.simulator.feedbacks).toEqual([]);
  });
});
