import type { ThreadPort } from "../../src/adapter.js";
import type { ChatMessage, ContextMessage, Reply } from "../../src/types.js";

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

  /** Set false to act as a thread whose platform refuses the bot's credentials. */
  replyable = true;

  canReply(): boolean {
    return this.replyable;
  }

  /** What readContext resolves with: the thread's earlier messages (none by default), or an error. */
  context: ContextMessage[] | Error = [];

  async readContext(maxMessages: number): Promise<ContextMessage[]> {
    this.events.push("context:read");
    if (this.context instanceof Error) throw this.context;
    return this.context.slice(-maxMessages);
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

/**
 * Gives each port a test address and finds it again from a message's address, as an adapter's
 * `portFor` does: tests submit a message "to" any port they like.
 */
export class PortRouter {
  readonly #ports = new Map<string, ThreadPort>();
  readonly #ids = new Map<ThreadPort, string>();

  /** The message with an address that leads to `port`. */
  route(message: ChatMessage, port: ThreadPort): ChatMessage {
    let id = this.#ids.get(port);
    if (id === undefined) {
      id = `port-${this.#ids.size}`;
      this.#ids.set(port, id);
      this.#ports.set(id, port);
    }
    return { ...message, address: { testPort: id } };
  }

  readonly portFor = (message: ChatMessage): ThreadPort => {
    const port = this.#ports.get(String(message.address.testPort));
    if (port === undefined) throw new Error(`no test port for address ${JSON.stringify(message.address)}`);
    return port;
  };
}
