import { clearScreenDown, cursorTo, type Interface, moveCursor } from "node:readline";
import { visibleLength } from "./wrap.js";

/**
 * The bottom of a terminal chat: an optional status line (the assistant is thinking) above the
 * `you>` prompt, where the person may be half-way through typing. Output is written above both,
 * and both are drawn again below it with the typed text intact (readline's own refresh).
 * Without a terminal it writes plain lines: no prompt, no status.
 */
export class Screen {
  #status: string | null = null;
  /** Whether the status line is on the screen right above the prompt. */
  #statusDrawn = false;
  #promptShown = false;

  constructor(
    private readonly output: NodeJS.WritableStream,
    /** Null when the output is not a terminal. */
    private readonly lines: Interface | null,
  ) {}

  /** Writes text above the prompt (and above the status line). */
  print(text: string): void {
    if (this.lines === null) {
      this.output.write(`${text}\n`);
      return;
    }
    const rows = this.#erase();
    this.output.write(`${text}\n`);
    this.#draw(rows);
  }

  /** Shows, changes or (with null) removes the status line. */
  status(text: string | null): void {
    if (this.lines === null || text === this.#status) return;
    const rows = this.#erase();
    this.#status = text;
    this.#draw(rows);
  }

  /** Shows the prompt, or shows it again after readline took a line. */
  prompt(): void {
    if (this.lines === null) return;
    const rows = this.#erase();
    this.#promptShown = true;
    this.#draw(rows);
  }

  /**
   * Readline has echoed the line it took and moved below it, so the status line now sits above that
   * echo: take both away and write the echo back, so the scrollback holds what was typed and nothing else.
   */
  lineTaken(typed: string): void {
    if (this.lines === null) return;
    if (this.#statusDrawn) {
      const columns = this.#columns();
      // As readline counts: a line that fills its last row exactly gets one more (it forces a new row).
      const rows = Math.floor(visibleLength(this.lines.getPrompt() + typed) / columns) + 1;
      moveCursor(this.output, 0, -(rows + 1));
      cursorTo(this.output, 0);
      clearScreenDown(this.output);
      this.output.write(`${this.lines.getPrompt()}${typed}\n`);
      this.#statusDrawn = false;
    }
    // Nothing is drawn until prompt(): the line's handling may print first.
    this.#promptShown = false;
  }

  /** Takes the prompt away (nothing more can be typed); the status line stays. */
  hidePrompt(): void {
    if (this.lines === null || !this.#promptShown) return;
    const rows = this.#erase();
    this.#promptShown = false;
    this.#draw(rows);
  }

  /** Clears the status and prompt lines for good (the chat is over). */
  close(): void {
    if (this.lines === null) return;
    this.#erase();
    this.#promptShown = false;
    this.#status = null;
  }

  /** Clears the status and prompt lines; returns the row of the prompt the cursor was on. */
  #erase(): number {
    if (this.lines === null) return 0;
    const rows = this.#promptShown ? this.lines.getCursorPos().rows : 0;
    cursorTo(this.output, 0);
    if (rows > 0) moveCursor(this.output, 0, -rows);
    if (this.#statusDrawn) moveCursor(this.output, 0, -1);
    clearScreenDown(this.output);
    this.#statusDrawn = false;
    return rows;
  }

  /**
   * Draws the status line and the prompt again. Readline's refresh first moves up as many rows as
   * the cursor was into a wrapped prompt line: `rows` blank lines give it those rows to take back.
   */
  #draw(rows: number): void {
    if (this.lines === null) return;
    if (this.#status !== null) {
      // One row, always: erasing it moves up exactly one.
      this.output.write(`${[...this.#status].slice(0, this.#columns() - 1).join("")}\n`);
      this.#statusDrawn = true;
    }
    if (!this.#promptShown) return;
    if (rows > 0) this.output.write("\n".repeat(rows));
    this.lines.prompt(true);
  }

  #columns(): number {
    return (this.output as { columns?: number }).columns ?? 80;
  }
}
