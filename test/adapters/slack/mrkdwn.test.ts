import { describe, expect, test } from "vitest";
import { escapeMrkdwn, markdownToMrkdwn } from "../../../adapters/slack/mrkdwn.js";
import { SAMPLE_MARKDOWN } from "../../../src/simulator/server.js";

describe("markdownToMrkdwn", () => {
  test.each([
    ["**bold**", "*bold*"],
    ["__bold__", "*bold*"],
    ["*italic*", "_italic_"],
    ["_italic_", "_italic_"],
    ["***both***", "*_both_*"],
    ["~~struck~~", "~struck~"],
    ["**bold with _italic_ inside**", "*bold with _italic_ inside*"],
    ["a [link](https://www.twilio.com/docs) here", "a <https://www.twilio.com/docs|link> here"],
    ["![logo](https://x.test/logo.png)", "<https://x.test/logo.png|logo>"],
    ["<https://x.test/a>", "<https://x.test/a>"],
    ["[same](https://x.test)", "<https://x.test|same>"],
    ["[relative](/docs/page)", "relative"],
    ["[q](https://x.test/?a=1&b=2)", "<https://x.test/?a=1&amp;b=2|q>"],
    ["`inline <code> & more`", "`inline &lt;code&gt; &amp; more`"],
    ["`**not bold**`", "`**not bold**`"],
    ["1 < 2 && 3 > 2", "1 &lt; 2 &amp;&amp; 3 &gt; 2"],
    ["2*3*4 stays", "2*3*4 stays"],
    ["snake_case_name stays", "snake_case_name stays"],
    ["\\*literal stars\\*", "*literal stars*"],
    ["line<br>break", "line\nbreak"],
  ])("inline %j → %j", (markdown, expected) => {
    expect(markdownToMrkdwn(markdown)).toBe(expected);
  });

  test("headings become bold lines, without nested bold marks", () => {
    expect(markdownToMrkdwn("# Title\n## Sub **part** ##\ntext")).toBe("*Title*\n*Sub part*\ntext");
  });

  test("lists get bullets, nested ones a hollow bullet; numbers stay", () => {
    expect(
      markdownToMrkdwn("- one\n* two\n  - nested **b**\n1. first\n2) second\n- [ ] todo\n- [x] done"),
    ).toBe("• one\n• two\n  ◦ nested *b*\n1. first\n2. second\n• ☐ todo\n• ☑ done");
  });

  test("quotes and rules", () => {
    expect(markdownToMrkdwn("> quoted *it*\n---\n***")).toBe("> quoted _it_\n──────────\n──────────");
  });

  test("code blocks lose the language, keep their content literally and escape only & < >", () => {
    const markdown = "```ts\nconst a = **b** < c && d;\n# not a heading\n```\nafter **bold**";
    expect(markdownToMrkdwn(markdown)).toBe(
      "```\nconst a = **b** &lt; c &amp;&amp; d;\n# not a heading\n```\nafter *bold*",
    );
  });

  test("an unclosed code block is closed, so it cannot swallow later messages", () => {
    expect(markdownToMrkdwn("```\ncode")).toBe("```\ncode\n```");
  });

  test("tables become code blocks (Slack has no tables)", () => {
    expect(markdownToMrkdwn("| a | b |\n|---|:-:|\n| 1 & 2 | 3 |\n\nafter")).toBe(
      "```\n| a | b |\n|---|:-:|\n| 1 &amp; 2 | 3 |\n```\n\nafter",
    );
  });

  test("CRLF line ends are normalised", () => {
    expect(markdownToMrkdwn("**a**\r\n*b*")).toBe("*a*\n_b_");
  });

  test("a code span inside a link label comes back whole", () => {
    expect(markdownToMrkdwn("[`npm i`](https://x.test)")).toBe("<https://x.test|`npm i`>");
  });

  test("the simulator's markdown sample", () => {
    expect(markdownToMrkdwn(SAMPLE_MARKDOWN)).toBe(
      [
        "*Markdown sample*",
        "Some *bold*, some _italic_, some ~struck~ text and `inline code`.",
        "• a list item\n• another with a <https://www.twilio.com/docs|link>",
        "1. first\n2. second",
        "```\nconst answer: number = 42;\n```",
        "> a quote",
        "```\n| Plan | Seats | Price |\n| --- | ---: | ---: |\n| Starter | 5 | $0 |\n| Team | 50 | $99 |\n```",
      ].join("\n\n"),
    );
  });
});

describe("escapeMrkdwn", () => {
  test("escapes exactly & < >", () => {
    expect(escapeMrkdwn("a & b < c > d *e* _f_")).toBe("a &amp; b &lt; c &gt; d *e* _f_");
  });
});
