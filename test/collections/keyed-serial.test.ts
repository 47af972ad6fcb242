import { describe, expect, it } from "vitest";
import { KeyedSerial } from "../../src/collections/keyed-serial.js";

describe("KeyedSerial", () => {
  it("runs one key's tasks in order, other keys alongside, and goes on after a failure", async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    const task =
      (name: string, waitMs: number, fail = false) =>
      async () => {
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        log.push(name);
        if (fail) throw new Error(name);
      };
    const a1 = serial.run("a", task("a1", 30, true));
    void serial.run("a", task("a2", 0));
    void serial.run("b", task("b1", 10));
    await expect(a1).rejects.toThrow("a1");
    await serial.idle();
    expect(log).toEqual(["b1", "a1", "a2"]);
  });
});
