/**
 * Runs tasks one at a time per key, in the order they were given: handling a message can wait on the
 * platform (a history look-up, a thread created), and without this a later message of the same
 * channel could reach the core first. A key is forgotten once its tasks are done, so memory is
 * bounded by the work in hand.
 */
export class KeyedSerial {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after the earlier tasks of `key`; a failing task does not stop the ones after it. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    // Tails never reject (see below), so `task` runs whatever happened to the one before.
    const current = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return current;
  }

  /** Resolves when every task given so far has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}
