import { describe, expect, it } from "vitest";
import { editDistance } from "../src/edit-distance.js";

describe("edit distance", () => {
  it("measures edits, counting a swap of neighbours as one", () => {
    expect(editDistance("SLACK_BOT_TOKN", "SLACK_BOT_TOKEN")).toBe(1);
    expect(editDistance("PROT", "PORT")).toBe(1);
    expect(editDistance("nwe", "new")).toBe(1);
    expect(editDistance("", "ABC")).toBe(3);
    expect(editDistance("KITTEN", "SITTING")).toBe(3);
  });
});
