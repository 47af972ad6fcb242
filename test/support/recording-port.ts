import type { Reply, ThreadPort } from "../../src/types.js";

/** A ThreadPort that records what the core asked for, with a promise per expected reply. */
export class RecordingPort implements ThreadPort {
  readonly replies: Reply[] = [];
  readonly events: string[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  async post(reply: Reply): Promise<void> {
    this.replies.push(reply);
    this.events.push(`post:${reply.kind}`);
    for (const waiter of this.#waiters.filter((w) => this.replies.length >= w.count)) waiter.resolve();
  }

  startWorking(): () => Promise<void> {
    this.events.push("working:start");
    return async () => {
      this.events.push("working:stop");
    };
  }

  /** Resolves once `count` replies have been posted. */
  waitFor(count: number): Promise<Reply[]> {
    if (this.replies.length >= count) return Promise.resolve(this.replies);
    return new Promise((resolve) => this.#waiters.push({ count, resolve: () => resolve(this.replies) }));
  }
}
