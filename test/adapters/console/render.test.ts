import { describe, expect, it } from "vitest";
import { markdownForTerminal, render } from "../../../adapters/console/render.js";
import { visibleLength, wrapLine } from "../../../adapters/console/wrap.js";
import { FLAGGED_WARNING } from "../../../src/notices.js";
import { SAMPLE_MARKDOWN } from "../../../src/simulator/server.js";

const reply = (kind: "answer" | "flagged" | "busy", text: string) => ({
  kind,
  text,
  requestId: "r",
  feedback: null,
});

describe("terminal rendering", () => {
  it("shows plain text as it is when the output is not a terminal", () => {
    expect(render(reply("answer", "**hi**"))).toBe("assistant> **hi**");
    expect(render(reply("flagged", "hm"))).toBe(`assistant> ${FLAGGED_WARNING}\n           hm`);
    expect(render(reply("busy", "busy now"))).toBe("notice> busy now");
  });

  it("renders headings, emphasis, lists, code, links and tables for a terminal", () => {
    const text = markdownForTerminal(`${SAMPLE_MARKDOWN}\n\n| a | b |\n|---|---|\n| 1 | 2 |`, 70);
    expect(text).toContain("Markdown sample");
    expect(text).toContain("Some bold, some italic, some struck text and inline code.");
    expect(text).toContain("* another with a link (https://www.twilio.com/docs)");
    expect(text).toContain("1. first");
    expect(text).toContain("const answer: number = 42;");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the table's borders come in colour.
    expect(text.replace(/\u001b\[\d+m/g, "")).toMatch(/│ a +│ b +│/);
    expect(text).not.toMatch(/\*\*|```|\[link\]/);
  });

  it("indents an answer's later lines under the label, and keeps notices plain", () => {
    const lines = render(reply("answer", "one\n\ntwo"), { columns: 60 }).split("\n");
    expect(lines).toEqual(["assistant> one", "", "           two"]);
    expect(render(reply("busy", "**not markdown**"), { columns: 60 })).toBe("notice> **not markdown**");
  });

  it("wraps long lines at spaces, with the continuation indented, and leaves one long word whole", () => {
    expect(wrapLine("  * one two three four five", 14, 4)).toEqual([
      "  * one two",
      "    three four",
      "    five",
    ]);
    expect(wrapLine("short", 10, 0)).toEqual(["short"]);
    const url = "https://example.com/a/very/long/path/that/does/not/fit";
    expect(wrapLine(`see ${url} now`, 20, 0)).toEqual(["see", url, "now"]);
  });

  it("counts colour codes as taking no room", () => {
    expect(visibleLength("\u001b[1mbold\u001b[22m")).toBe(4);
    expect(wrapLine("\u001b[1maaaa\u001b[22m bbbb", 9, 0)).toEqual(["\u001b[1maaaa\u001b[22m bbbb"]);
  });
});

describe("terminal flagged answers", () => {
  it("opens the answer with the warning, wrapped at word boundaries and indented like the answer", () => {
    const lines = render(reply("flagged", "The answer itself."), { columns: 50 }).split("\n");
    expect(lines[0]?.startsWith("assistant> ⚠ Warning:")).toBe(true);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(50);
    for (const line of lines.slice(1)) expect(line.startsWith(" ".repeat("assistant> ".length))).toBe(true);
    const words = lines.map((line) => line.replace("assistant>", "").trim());
    expect(words.join(" ")).toBe(`${FLAGGED_WARNING} The answer itself.`);
  });
});

describe("terminal notices", () => {
  it("never splits a failure notice's reference across lines, whatever the width", () => {
    const text =
      "Sorry, the assistant could not answer this time. Please try again in a moment. (ref a0eaa0f5)";
    for (let columns = 30; columns <= 110; columns++) {
      const lines = render(reply("busy", text), { columns }).split("\n");
      expect(
        lines.filter((line) => line.includes("(ref a0eaa0f5)")),
        `at ${columns} columns`,
      ).toHaveLength(1);
    }
  });

  it("wraps a long notice at word boundaries, under its label, keeping the reference whole", () => {
    const text =
      "Sorry, the assistant could not answer this time. Please try again in a moment. (ref 738c7827)";
    const lines = render(reply("busy", text), { columns: 60 }).split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines[0]?.startsWith("notice> ")).toBe(true);
    expect(lines.at(-1)).toContain("(ref 738c7827)");
    expect(lines.map((l) => l.trim()).join(" ")).toBe(`notice> ${text}`);
  });
});
