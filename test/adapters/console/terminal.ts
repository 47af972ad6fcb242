import { PassThrough } from "node:stream";

/**
 * A pretend terminal for the console adapter: an input stream and a TTY-like output whose bytes are
 * played onto a grid of lines, following the cursor movements readline and the adapter write
 * (CSI A/B/C/D/G/J/K; colours are dropped). So tests see the screen a person would, not the bytes.
 */
export class FakeTerminal {
  readonly input = new PassThrough();
  readonly output: PassThrough & { isTTY: true; columns: number; rows: number };
  /** Everything written, as written. */
  raw = "";
  #lines: string[] = [""];
  #row = 0;
  #col = 0;
  #waiters: Array<() => void> = [];

  constructor(columns = 60) {
    this.output = Object.assign(new PassThrough(), { isTTY: true as const, columns, rows: 40 });
    // readline switches the input to raw mode when it can; a PassThrough has no mode to switch.
    Object.assign(this.input, { isTTY: true, setRawMode: () => this.input });
    this.output.on("data", (chunk: Buffer) => {
      const text = String(chunk);
      this.raw += text;
      this.#play(text);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** The screen's lines, trailing spaces and empty trailing lines removed. */
  get screen(): string[] {
    const lines = this.#lines.map((line) => line.replace(/\s+$/, ""));
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    return lines;
  }

  /** The line the cursor is on. */
  get cursorLine(): string {
    return (this.#lines[this.#row] ?? "").replace(/\s+$/, "");
  }

  /**
   * Types keys one at a time, as a person does: readline takes a chunk of several keys for a paste
   * and then inserts them all at the end of the line, whatever the arrow keys in it said.
   */
  async type(keys: string): Promise<void> {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: an escape sequence is one key.
    for (const key of keys.match(/\u001b\[[0-9;]*[A-Za-z~]|[\s\S]/g) ?? []) {
      this.input.write(key);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Resolves once the screen matches `pattern` (`times` times). */
  async waitFor(pattern: RegExp, times = 1): Promise<void> {
    const count = () => (this.screen.join("\n").match(new RegExp(pattern, "g")) ?? []).length;
    while (count() < times) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #play(text: string): void {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences.
    const tokens = text.match(/\u001b\[[0-9;?]*[A-Za-z]|\u001b.|[\s\S]/g) ?? [];
    for (const token of tokens) {
      if (token.startsWith("\u001b[")) this.#control(token);
      else if (token === "\r") this.#col = 0;
      else if (token === "\n") this.#moveTo(this.#row + 1, 0);
      else if (token >= " ") this.#put(token);
    }
  }

  #control(sequence: string): void {
    const final = sequence.at(-1);
    const n = Number.parseInt(sequence.slice(2, -1) || "0", 10);
    const by = Math.max(1, n);
    if (final === "A") this.#moveTo(this.#row - by, this.#col);
    else if (final === "B") this.#moveTo(this.#row + by, this.#col);
    else if (final === "C") this.#moveTo(this.#row, this.#col + by);
    else if (final === "D") this.#moveTo(this.#row, this.#col - by);
    else if (final === "G") this.#moveTo(this.#row, by - 1);
    else if (final === "J") {
      this.#lines[this.#row] = (this.#lines[this.#row] ?? "").slice(0, this.#col);
      this.#lines.length = this.#row + 1;
    } else if (final === "K") {
      const line = this.#lines[this.#row] ?? "";
      if (n === 0) this.#lines[this.#row] = line.slice(0, this.#col);
      else if (n === 1) this.#lines[this.#row] = " ".repeat(this.#col) + line.slice(this.#col);
      else this.#lines[this.#row] = "";
    }
  }

  #moveTo(row: number, col: number): void {
    this.#row = Math.max(0, row);
    this.#col = Math.max(0, Math.min(col, this.output.columns - 1));
    while (this.#lines.length <= this.#row) this.#lines.push("");
  }

  #put(char: string): void {
    if (this.#col >= this.output.columns) this.#moveTo(this.#row + 1, 0);
    const line = (this.#lines[this.#row] ?? "").padEnd(this.#col, " ");
    this.#lines[this.#row] = line.slice(0, this.#col) + char + line.slice(this.#col + 1);
    this.#col++;
  }
}
