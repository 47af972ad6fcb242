import { describe, expect, test } from "vitest";
import {
  mentionsUser,
  readableText,
  unescapeSlack,
  unnamedMentions,
} from "../../../adapters/slack/tokens.js";

const names: Record<string, string> = { U0ANA: "Ana", W0BEN: "Ben" };
const read = (text: string) => readableText(text, { botUserId: "U0BOT", userName: (id) => names[id] });

describe("readableText", () => {
  test.each([
    ["<@U0BOT> what is Twilio?", "what is Twilio?"],
    ["<@U0BOT>: what is Twilio?", "what is Twilio?"],
    ["Hey <@U0BOT>, what is Twilio?", "Hey what is Twilio?"],
    ["ask <@U0BOT|bridge> now", "ask now"],
    ["<@U0BOT> ask <@U0ANA> and <@W0BEN>", "ask @Ana and @Ben"],
    ["<@U0BOT> ask <@U0NOBODY>", "ask @U0NOBODY"],
    ["<@U0BOT> ask <@U0ZED|zed>", "ask @zed"],
    ["see <#C0GENERAL|general> and <#C0OTHER|>", "see #general and #C0OTHER"],
    ["<https://x.test|the docs>", "the docs (https://x.test)"],
    ["<https://x.test/a?b=1&amp;c=2>", "https://x.test/a?b=1&c=2"],
    ["<http://example.com|example.com>", "example.com"],
    ["<mailto:ana@x.test|ana@x.test>", "ana@x.test"],
    ["<!here> <!channel> <!everyone>", "@here @channel @everyone"],
    ["<!subteam^S0TEAM|@support> help", "@support help"],
    ["<!date^1392734382^{date_short}|Feb 18, 2014> ok", "Feb 18, 2014 ok"],
    ["1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"],
    ["&amp;lt; stays literal", "&lt; stays literal"],
    ["<@U0BOT>\n```\n  indented()\n```", "```\n  indented()\n```"],
    ["<@U0BOT>", ""],
  ])("%j → %j", (text, expected) => {
    expect(read(text)).toBe(expected);
  });
});

describe("unnamedMentions", () => {
  test("lists users mentioned without a name, not the bot, once each", () => {
    expect(unnamedMentions("<@U0BOT> <@U0ANA> <@U0ANA> <@W0BEN|ben> <#C0X|x>", "U0BOT")).toEqual(["U0ANA"]);
  });
});

describe("mentionsUser", () => {
  test("finds the bot's mention in both token forms", () => {
    expect(mentionsUser("hi <@U0BOT>", "U0BOT")).toBe(true);
    expect(mentionsUser("hi <@U0BOT|bridge>", "U0BOT")).toBe(true);
    expect(mentionsUser("hi <@U0BOTX>", "U0BOT")).toBe(false);
    expect(mentionsUser("hi <@U0BOT>", undefined)).toBe(false);
  });
});

test("unescapeSlack unescapes the three entities Slack uses", () => {
  expect(unescapeSlack("&lt;b&gt; &amp; &quot;")).toBe("<b> & &quot;");
});
