import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createConsoleAdapter, render } from "../../../adapters/console/index.js";
import { FLAGGED_WARNING } from "../../../src/notices.js";
import { startCore, type TestCore } from "../../support/core.js";

let core: TestCore | undefined;
afterEach(async () => core?.close());

/** Collects the terminal's output and resolves when a line matching `pattern` has appeared `times` times. */
function screen(output: PassThrough) {
  let text = "";
  const waiters: Array<() => void> = [];
  output.on("data", (chunk) => {
    text += String(chunk);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    get text() {
      return text;
    },
    async waitFor(pattern: RegExp, times = 1): Promise<void> {
      while ((text.match(new RegExp(pattern, "g")) ?? []).length < times) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe("terminal chat", () => {
  it("chats through the full pipeline, keeps the conversation, and /new starts a fresh one", async () => {
    core = await startCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const view = screen(output);
    let ended = false;
    const adapter = createConsoleAdapter(
      { input, output, user: "ana", greeting: "hi", onEnd: () => (ended = true) },
      { sink: core.bridge, memory: core.store, logger: core.logger },
    );
    core.adapters.set("console", adapter);
    await adapter.start();

    input.write("hello there\n");
    await view.waitFor(/assistant> /);
    input.write("second\n");
    await view.waitFor(/assistant> /, 2);
    input.write("/new\n");
    input.write("third\n");
    await view.waitFor(/assistant> /, 3);

    const [first, second, third] = core.simulator.received;
    expect(first?.identity).toBe("user_id:console_local_ana");
    expect(second?.sessionId).toBe(first?.sessionId);
    expect(third?.sessionId).not.toBe(first?.sessionId);
    expect(view.text).toContain("Before this you said: “hello there”");
    expect(view.text).toContain("new conversation #2");

    input.write("/quit\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(true);
    await adapter.close();
  });

  it("renders flagged answers with the warning and notices as notices", () => {
    expect(render({ kind: "flagged", text: "hm", requestId: "r" })).toBe(`${FLAGGED_WARNING}\nassistant> hm`);
    expect(render({ kind: "busy", text: "busy now", requestId: "r" })).toBe("notice> busy now");
  });
});
