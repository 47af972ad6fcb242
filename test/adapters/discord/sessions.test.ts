import type { APIMessage } from "discord.js";
import { describe, expect, it } from "vitest";
import { DmConversations } from "../../../adapters/discord/sessions.js";
import { MemoryStore } from "../../../src/state/memory-store.js";

function msg(id: string, content: string, bot = false): APIMessage {
  return { id, content, author: { id: bot ? "9" : "1", bot } } as unknown as APIMessage;
}

function conversations(history: APIMessage[], memory = new MemoryStore()) {
  const lookups: Array<{ channelId: string; beforeId: string; limit: number }> = [];
  const store = new DmConversations({
    memory,
    history: async (channelId, beforeId, limit) => {
      lookups.push({ channelId, beforeId, limit });
      return history;
    },
  });
  return { store, lookups };
}

describe("DmConversations", () => {
  it("is the DM channel itself until a /new, looking at the history only once", async () => {
    const { store, lookups } = conversations([msg("5", "hello")]);
    expect(await store.conversationOf("C", "6")).toBe("C");
    expect(await store.conversationOf("C", "7")).toBe("C");
    expect(lookups).toEqual([{ channelId: "C", beforeId: "6", limit: 100 }]);
  });

  it("changes at /new", async () => {
    const { store } = conversations([]);
    expect(await store.conversationOf("C", "6")).toBe("C");
    expect(await store.startNew("C", "7")).toBe("7");
    expect(await store.conversationOf("C", "8")).toBe("7");
  });

  it("finds the latest /new a user typed in the history (after a restart)", async () => {
    // Newest first, as Discord returns them; the bot's own "/new" text does not count.
    const history = [msg("9", "/new", true), msg("8", "question"), msg("7", "/new"), msg("4", "/new")];
    const { store } = conversations(history);
    expect(await store.conversationOf("C", "10")).toBe("7");
  });

  it("keeps the pointer in the shared memory: another replica (or the next process) needs no lookup", async () => {
    const memory = new MemoryStore();
    const first = conversations([], memory);
    await first.store.startNew("C", "7");
    const second = conversations([msg("3", "/new")], memory);
    expect(await second.store.conversationOf("C", "8")).toBe("7");
    expect(second.lookups).toEqual([]);
  });

  it("does not remember a failed lookup", async () => {
    let fail = true;
    const store = new DmConversations({
      memory: new MemoryStore(),
      history: async () => {
        if (fail) throw new Error("REST down");
        return [msg("3", "/new")];
      },
    });
    await expect(store.conversationOf("C", "4")).rejects.toThrow("REST down");
    fail = false;
    expect(await store.conversationOf("C", "5")).toBe("3");
  });
});
