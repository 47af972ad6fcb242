import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createConsoleAdapter } from "../../../adapters/console/index.js";
import type { Adapter } from "../../../src/adapter.js";
import { memoryLogger, startCore, type TestCore } from "../../support/core.js";

let core: TestCore | undefined;
let adapter: Adapter | undefined;
afterEach(async () => {
  await adapter?.close();
  await core?.close();
  adapter = undefined;
  core = undefined;
});

describe("terminal chat on the OpenAI-compatible backend", () => {
  it("sends the conversation's earlier turns, and /new starts with an empty history", async () => {
    core = await startCore({ backend: "openai" });
    const input = new PassThrough();
    const output = new PassThrough();
    let text = "";
    output.on("data", (chunk) => {
      text += String(chunk);
    });
    const answers = async (n: number) => {
      while ((text.match(/assistant> /g) ?? []).length < n) await new Promise((r) => setTimeout(r, 10));
    };
    adapter = createConsoleAdapter(
      { input, output, user: "ana", greeting: "Test.", logFile: null, onEnd: () => {}, onLeaveNow: () => {} },
      {
        sink: core.bridge,
        memory: core.store,
        metrics: core.metrics,
        logger: memoryLogger().logger,
        feedback: null,
      },
    );
    core.adapters.set("console", adapter);
    await adapter.start();

    input.write("hello there\n");
    await answers(1);
    input.write("second\n");
    await answers(2);
    input.write("/new\n");
    input.write("third\n");
    await answers(3);

    expect(core.simulator.received.map((r) => r.history)).toEqual([[], ["hello there"], []]);
    expect(text).toContain("Before this you said: “hello there”");
    expect(text.slice(text.lastIndexOf("assistant> "))).toContain("This is the start of our conversation");
  });
});
