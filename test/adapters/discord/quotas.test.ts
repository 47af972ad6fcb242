import { describe, expect, it } from "vitest";
import { QUIET_SIGN } from "../../../adapters/discord/port.js";
import type { QuotaConfig } from "../../../src/quotas.js";
import { type HarnessOptions, useDiscordHarness } from "../../support/discord-harness.js";
import { DM_CHANNEL_ID, OTHER_USER, TEXT_CHANNEL_ID } from "../../support/discord-ids.js";
import type { RestCall } from "../../support/discord-rest.js";

const start = useDiscordHarness();

function quotas(fields: Partial<QuotaConfig>): HarnessOptions {
  return { core: { quotas: { perPerson: null, perWorkspace: null, exemptUsers: new Set(), ...fields } } };
}

const isReaction = (call: RestCall) => call.method === "PUT" && call.path.includes("/reactions/");

describe("Discord usage quotas (real discord.js, real core)", () => {
  it("the first mention over quota in a channel gets the notice under it, the next one there a ⏳ reaction; neither a thread", async () => {
    const h = await start(quotas({ perWorkspace: { limit: 1, unit: "hour" } }));
    const first = h.mention("first");
    await h.rest.messagesIn(first, 1);
    const second = h.mention("second");
    // In the channel, as a reply to the question: told to everyone there, and no thread with only a refusal.
    const [notice] = await h.rest.messagesIn(TEXT_CHANNEL_ID, 1);
    expect(notice?.body.message_reference).toEqual({ message_id: second, fail_if_not_exists: false });
    expect(notice?.content).toBe(
      "This workspace has reached its limit of 1 question an hour, so I didn't pass this one on. Questions can be asked again in 1 hour.",
    );
    const third = h.mention("third", { author: OTHER_USER });
    const [reaction] = await h.rest.waitForCalls(isReaction, 1);
    // On the question itself, in the channel it was asked in (not the thread started on it).
    expect(reaction?.path).toBe(
      `/channels/${TEXT_CHANNEL_ID}/messages/${third}/reactions/${encodeURIComponent(QUIET_SIGN)}/@me`,
    );
    expect(h.rest.created.filter((m) => m.channelId === third)).toEqual([]);
    const threadStarts = h.rest.calls.filter((call) => call.path.endsWith("/threads"));
    expect(threadStarts.map((call) => call.path)).toEqual([
      `/channels/${TEXT_CHANNEL_ID}/messages/${first}/threads`,
    ]);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["first"]);
    expect((await h.core.metrics.quotaRefusals.get()).values).toEqual([
      expect.objectContaining({ labels: { platform: "discord", kind: "workspace" }, value: 2 }),
    ]);
  });

  it("in a DM every question over quota gets the notice; DMs do not count for a server", async () => {
    const h = await start(
      quotas({ perPerson: { limit: 1, unit: "day" }, perWorkspace: { limit: 1, unit: "day" } }),
    );
    h.dm("first");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    h.dm("second");
    h.dm("third");
    const messages = await h.rest.messagesIn(DM_CHANNEL_ID, 3);
    expect(messages.slice(1).map((m) => m.content)).toEqual([
      expect.stringContaining("your limit of 1 question a day"),
      expect.stringContaining("your limit of 1 question a day"),
    ]);
    expect(h.rest.calls.filter(isReaction)).toEqual([]);
    // The server's one question is still free for someone else.
    const other = h.mention("from the other user", { author: OTHER_USER });
    await h.rest.messagesIn(other, 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["first", "from the other user"]);
  });

  it("a slash command over quota gets the notice only its asker sees", async () => {
    const h = await start(quotas({ perPerson: { limit: 1, unit: "hour" } }));
    h.dm("first");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const { token } = h.command("ask", { question: "one more?", where: "text" });
    const isFollowUp = (call: RestCall) => call.method === "POST" && call.path.startsWith("/webhooks/");
    await h.rest.waitForCalls(isFollowUp, 1);
    const record = h.rest.interactions.get(token);
    expect(record?.deleted).toBe(true);
    expect(record?.followUps).toEqual([
      expect.objectContaining({
        content: expect.stringContaining("your limit of 1 question an hour"),
        flags: 64,
      }),
    ]);
    expect(h.core.simulator.received).toHaveLength(1);
  });
});
