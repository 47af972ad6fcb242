import { describe, expect, test } from "vitest";
import type { QuotaConfig } from "../../../src/quotas.js";
import { mentionEvent, messageEvent, orgWideInstall } from "../../support/slack-events.js";
import { useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

function quotas(fields: Partial<QuotaConfig>): { core: { quotas: QuotaConfig } } {
  return { core: { quotas: { perPerson: null, perWorkspace: null, exemptUsers: new Set(), ...fields } } };
}

describe("Slack usage quotas (real Bolt, real core)", () => {
  test("the first question over quota in a channel gets the notice, the next one there a message only the asker sees", async () => {
    const h = await start(quotas({ perPerson: { limit: 1, unit: "hour" } }));
    await h.deliver(mentionEvent({ text: "<@U0BOT> first" }));
    await h.api.waitFor("chat.postMessage", 1);
    const second = mentionEvent({ text: "<@U0BOT> second" });
    await h.deliver(second);
    const posts = await h.api.waitFor("chat.postMessage", 2);
    expect(posts[1]?.args).toMatchObject({ channel: "C0GENERAL", thread_ts: second.ts });
    expect(posts[1]?.args.text).toBe(
      "You've reached your limit of 1 question an hour, so I didn't pass this one on. You can ask again in 1 hour.",
    );

    const third = mentionEvent({ text: "<@U0BOT> third" });
    await h.deliver(third);
    const [quiet] = await h.api.waitFor("chat.postEphemeral", 1);
    expect(quiet?.args).toMatchObject({ channel: "C0GENERAL", user: "U0ANA", thread_ts: third.ts });
    expect(quiet?.args.text).toContain("limit of 1 question an hour");
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["first"]);
    expect(h.api.callsTo("chat.postMessage")).toHaveLength(2);
    expect((await h.core.metrics.quotaRefusals.get()).values).toEqual([
      expect.objectContaining({ labels: { platform: "slack", kind: "person" }, value: 2 }),
    ]);
  });

  test("a retry of a refused question gets nothing more", async () => {
    const h = await start(quotas({ perPerson: { limit: 1, unit: "day" } }));
    await h.deliver(mentionEvent({ text: "<@U0BOT> first" }));
    await h.api.waitFor("chat.postMessage", 1);
    const refused = mentionEvent({ text: "<@U0BOT> again" });
    await h.deliver(refused, { eventId: "Ev1" });
    await h.api.waitFor("chat.postMessage", 2);
    // Slack's retry of the same event, and the message twin of the app_mention.
    await h.deliver(refused, { eventId: "Ev1" });
    await h.deliver({ ...refused, type: "message", channel_type: "channel" });
    await h.waitForSubmits(4);
    expect(h.api.callsTo("chat.postMessage")).toHaveLength(2);
    expect(h.api.callsTo("chat.postEphemeral")).toHaveLength(0);
    expect(h.api.callsTo("chat.postMessage")[1]?.args.text).toContain("1 question a day");
  });

  test("in a DM every question over quota gets the notice, and a DM does not count for the workspace", async () => {
    const h = await start(
      quotas({ perPerson: { limit: 1, unit: "hour" }, perWorkspace: { limit: 1, unit: "hour" } }),
    );
    const dm = (text: string) => messageEvent({ channel: "D0ANA", channel_type: "im", text });
    await h.deliver(dm("first"));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(dm("second"));
    await h.deliver(dm("third"));
    const posts = await h.api.waitFor("chat.postMessage", 3);
    expect(posts.slice(1).map((p) => p.args.text)).toEqual([
      expect.stringContaining("your limit of 1 question an hour"),
      expect.stringContaining("your limit of 1 question an hour"),
    ]);
    expect(h.api.callsTo("chat.postEphemeral")).toHaveLength(0);
    // The workspace's one question is still free: someone else asks it in a channel.
    await h.deliver(mentionEvent({ user: "U0BEN", text: "<@U0BOT> from ben" }));
    await h.api.waitFor("chat.postMessage", 4);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["first", "from ben"]);
  });

  test("a workspace quota counts everyone of the workspace; exempt users are never limited", async () => {
    const h = await start(
      quotas({ perWorkspace: { limit: 1, unit: "hour" }, exemptUsers: new Set(["U0BOSS"]) }),
    );
    await h.deliver(mentionEvent({ text: "<@U0BOT> ana asks" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ user: "U0BEN", text: "<@U0BOT> ben asks" }));
    const posts = await h.api.waitFor("chat.postMessage", 2);
    expect(posts[1]?.args.text).toBe(
      "This workspace has reached its limit of 1 question an hour, so I didn't pass this one on. Questions can be asked again in 1 hour.",
    );
    await h.deliver(mentionEvent({ user: "U0BOSS", text: "<@U0BOT> boss asks" }));
    await h.api.waitFor("chat.postMessage", 3);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["ana asks", "boss asks"]);
    expect((await h.core.metrics.quotaRefusals.get()).values).toEqual([
      expect.objectContaining({ labels: { platform: "slack", kind: "workspace" }, value: 1 }),
    ]);
  });

  test("on an org-wide Enterprise Grid install the organisation's workspaces share the workspace quota", async () => {
    const h = await start(quotas({ perWorkspace: { limit: 1, unit: "day" } }));
    await h.deliver(mentionEvent({ team: "T0ONE", text: "<@U0BOT> from one" }), {
      envelope: orgWideInstall("E0ORG", "T0ONE"),
    });
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ team: "T0TWO", user: "U0BEN", text: "<@U0BOT> from two" }), {
      envelope: orgWideInstall("E0ORG", "T0TWO"),
    });
    const posts = await h.api.waitFor("chat.postMessage", 2);
    expect(posts[1]?.args.text).toContain("This workspace has reached its limit of 1 question a day");
    // Another workspace, not in the organisation, has its own quota.
    await h.deliver(mentionEvent({ team: "T0ELSE", user: "U0CY", text: "<@U0BOT> elsewhere" }), {
      envelope: { team_id: "T0ELSE" },
    });
    await h.api.waitFor("chat.postMessage", 3);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["from one", "elsewhere"]);
  });
});
