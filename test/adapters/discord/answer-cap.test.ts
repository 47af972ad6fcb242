import { describe, expect, it } from "vitest";
import { cutLine } from "../../../src/answer-cap.js";
import { longAnswer } from "../../../src/simulator/server.js";
import { useDiscordHarness } from "../../support/discord-harness.js";
import { DM_CHANNEL_ID } from "../../support/discord-ids.js";

const start = useDiscordHarness();

describe("ANSWER_MAX_CHARS on Discord", () => {
  it("a huge answer arrives as its start and end with the cut line, in a few messages", async () => {
    const h = await start();
    h.dm("tell me everything #long=500000");
    const messages = await h.rest.messagesIn(DM_CHANNEL_ID, 6);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = h.rest.created.filter((m) => m.channelId === DM_CHANNEL_ID).map((m) => m.content);
    expect(all.length).toBeLessThanOrEqual(8);
    const text = all.join("\n");
    expect(messages[0]?.content.startsWith("Paragraph 1.")).toBe(true);
    expect(text).toContain(cutLine(longAnswer(500_000).length));
    expect(text.trimEnd().endsWith(longAnswer(500_000).slice(-100))).toBe(true);
  });
});
