import { describe, expect, it } from "vitest";
import { StartWindow } from "../../src/state/start-window.js";

describe("StartWindow", () => {
  it("lets `limit` starts go at once, then holds the next until the oldest is an interval old", () => {
    const window = new StartWindow(3, 1000);
    for (const at of [0, 10, 20]) {
      expect(window.waitMs(at)).toBe(0);
      window.record(at);
    }
    expect(window.waitMs(500)).toBe(500);
    expect(window.waitMs(1000)).toBe(0);
    window.record(1000);
    expect(window.waitMs(1000)).toBe(10);
  });

  it("counts from when a start was recorded, so a late send pushes the next window back", () => {
    const window = new StartWindow(1, 100);
    // Decided at 0, but the request went out at 7 (a pause in between): the next may go at 107, not 100.
    window.record(7);
    expect(window.waitMs(100)).toBe(7);
    expect(window.waitMs(107)).toBe(0);
  });

  it("rejects nonsense options with a message quoting them", () => {
    expect(() => new StartWindow(0, 100)).toThrow("limit must be at least 1, got 0");
    expect(() => new StartWindow(1, 0)).toThrow("intervalMs must be positive, got 0");
  });
});
