import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const manifest = readFileSync(new URL("../../../adapters/slack/manifest.yml", import.meta.url), "utf8");

/** The active (uncommented) list items under `key:`, a small YAML reader for this flat file. */
function listUnder(key: string): string[] {
  const lines = manifest.split("\n");
  const start = lines.findIndex((line) => line.trim() === `${key}:`);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = /^\s*-\s+([^\s#]+)/.exec(line);
    if (item?.[1]) items.push(item[1]);
    else if (line.trim() !== "" && !line.trim().startsWith("#")) break;
  }
  return items;
}

test("the manifest asks for exactly the scopes the adapter uses", () => {
  expect(listUnder("bot").sort()).toEqual(
    [
      "app_mentions:read",
      "assistant:write",
      "channels:history",
      "chat:write",
      "groups:history",
      "im:history",
      "mpim:history",
      "reactions:write",
      "users:read",
    ].sort(),
  );
  // Email identity is opt-in: its scope is documented, not granted by default.
  expect(manifest).toMatch(/#\s*- users:read\.email/);
});

test("the manifest subscribes to mentions, DMs and thread follow-ups", () => {
  expect(listUnder("bot_events").sort()).toEqual(
    [
      "app_home_opened",
      "app_mention",
      "message.channels",
      "message.groups",
      "message.im",
      "message.mpim",
    ].sort(),
  );
  expect(manifest).toMatch(/request_url: https:\/\/.+\/slack\/events/);
  expect(manifest).toMatch(/socket_mode_enabled: false/);
  expect(manifest).toMatch(/messages_tab_enabled: true/);
});

test("the manifest declares the agent messaging experience, not the retired assistant view", () => {
  expect(manifest).toMatch(/^ {2}agent_view:\n {4}agent_description: \S.+$/m);
  expect(manifest).not.toMatch(/^\s*assistant_view:/m);
});
