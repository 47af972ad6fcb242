import { describe, expect, it } from "vitest";
import {
  type PlannedPart,
  planParts as planWithin,
  splitMessage as splitWithin,
} from "../../src/text/split.js";

/** Discord's limit, the one these cases were written for. */
const DISCORD_MESSAGE_LIMIT = 2000;
const splitMessage = (text: string, limit = DISCORD_MESSAGE_LIMIT) => splitWithin(text, { limit });
const planParts = (text: string) => planWithin(text, { limit: DISCORD_MESSAGE_LIMIT });

/** The original text again: the bodies joined with the separators dropped between them. */
function rebuild(parts: PlannedPart[]): string {
  return parts.map((part) => part.body + part.separator).join("");
}

/** Fence lines of a message, as Discord sees them. */
function fenceLines(content: string): string[] {
  return content.split("\n").filter((line) => /^ {0,3}(```|~~~)/.test(line));
}

/** Every opened fence is closed in the same message. */
function balanced(content: string): boolean {
  let open: string | null = null;
  for (const line of fenceLines(content)) {
    const run = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    const marker = run?.[1] ?? "";
    if (open === null) open = marker;
    else if ((run?.[2] ?? "").trim() === "" && marker.startsWith(open)) open = null;
  }
  return open === null;
}

function words(count: number, word = "lorem"): string {
  return Array.from({ length: count }, (_, i) => `${word}${i}`).join(" ");
}

describe("splitMessage", () => {
  it("leaves a message that fits alone", () => {
    expect(splitMessage("Hello **there**")).toEqual(["Hello **there**"]);
    const exactly = "x".repeat(DISCORD_MESSAGE_LIMIT);
    expect(splitMessage(exactly)).toEqual([exactly]);
  });

  it("splits on paragraph boundaries first", () => {
    const first = `First. ${words(150)}`; // about 1,300 characters
    const second = `Second. ${words(150)}`;
    const parts = splitMessage(`${first}\n\n${second}`);
    expect(parts).toEqual([first, second]);
  });

  it("splits on a line when no paragraph break is late enough", () => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i} ${"abc ".repeat(10)}`.trim());
    const text = lines.join("\n");
    const parts = splitMessage(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      // Each part is whole lines.
      for (const line of part.split("\n")) expect(lines).toContain(line);
    }
  });

  it("splits on a word when a paragraph is one long line", () => {
    const text = words(800); // about 6,000 characters on one line
    const parts = splitMessage(text);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(part).toMatch(/^lorem\d+( lorem\d+)*$/); // no word was cut
    }
    expect(parts.join(" ")).toBe(text);
  });

  it("cuts a single 5,000-character word into parts that rebuild it", () => {
    const word = "a".repeat(5000);
    const parts = splitMessage(word);
    expect(parts.map((p) => p.length)).toEqual([2000, 2000, 1000]);
    expect(parts.join("")).toBe(word);
  });

  it("does not cut an emoji in half", () => {
    const text = `${"a".repeat(1999)}😀${"b".repeat(10)}`;
    const parts = splitMessage(text);
    expect(parts[0]).toBe("a".repeat(1999));
    expect(parts[1]).toBe(`😀${"b".repeat(10)}`);
  });

  it("closes a code block at a break and reopens it with its language", () => {
    const code = Array.from({ length: 200 }, (_, i) => `    value_${i} = compute(${i})  # step ${i}`);
    const text = `Here is the script:\n\n\`\`\`python\n${code.join("\n")}\n\`\`\`\n\nThat is all.`;
    const parts = splitMessage(text);
    expect(parts.length).toBeGreaterThan(2);
    for (const [index, part] of parts.entries()) {
      expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      expect(balanced(part), `part ${index} has balanced fences:\n${part}`).toBe(true);
    }
    expect(parts[1]?.startsWith("```python\n")).toBe(true);
    // Indentation inside the code survives the break.
    expect(parts[1]?.split("\n")[1]).toMatch(/^ {4}value_\d+/);
    expect(parts.at(-1)?.endsWith("That is all.")).toBe(true);
  });

  it("keeps tilde fences and longer backtick runs matched", () => {
    const body = Array.from({ length: 150 }, (_, i) => `row ${i} ${"x".repeat(20)}`).join("\n");
    for (const fence of ["~~~", "````"]) {
      const parts = splitMessage(`${fence}sql\n${body}\n${fence}`);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts[1]?.startsWith(`${fence}sql\n`)).toBe(true);
      for (const part of parts) expect(part.trimEnd().endsWith(fence)).toBe(true);
    }
  });

  it("does not leave an empty code block when the break falls before the closing line", () => {
    const inside = "y".repeat(1990);
    const text = `\`\`\`\n${inside}\n\`\`\`\n\nafter`;
    const parts = splitMessage(text);
    expect(parts).toEqual([`\`\`\`\n${inside}\n\`\`\``, "after"]);
  });

  it("loses nothing: the bodies rebuild the text exactly", () => {
    const samples = [
      words(1200),
      `intro\n\n\`\`\`ts\n${Array.from({ length: 300 }, (_, i) => `const v${i} = ${i};`).join("\n")}\n\`\`\`\n\n${words(300)}`,
      Array.from({ length: 50 }, (_, i) => `Paragraph ${i}.\n${words(20)}\n- item\n- item`).join("\n\n"),
      `${"z".repeat(4500)} tail\n\n\`\`\`\nunclosed ${words(400)}`,
    ];
    for (const text of samples) {
      const plan = planParts(text);
      expect(rebuild(plan)).toBe(text);
      const parts = splitMessage(text);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
      // The same characters in the same order, once the added fence lines are taken away.
      const added = plan.map((p) => p.reopen + p.body + p.close);
      expect(added).toEqual(parts);
      expect(
        plan
          .map((p) => p.body)
          .join("")
          .replace(/\s+/g, ""),
      ).toBe(text.replace(/\s+/g, ""));
    }
  });

  it("closes a block the answer itself left open, so the last part still renders", () => {
    const text = `\`\`\`js\n${Array.from({ length: 150 }, (_, i) => `f(${i}); // ${"c".repeat(10)}`).join("\n")}`;
    const parts = splitMessage(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts.slice(0, -1)) expect(balanced(part)).toBe(true);
  });

  it("rejects a limit too small to hold a reopened fence", () => {
    expect(() => splitMessage("text", 10)).toThrow(RangeError);
  });
});
