import { randomBytes } from "node:crypto";
import { BoundedMap } from "../collections/bounded-map.js";

/** One message of a session, shaped like the spec's `assistants.v1.service.message`. */
export interface SimulatedMessage {
  id: string;
  account_sid: string;
  assistant_id: string;
  session_id: string;
  identity: string;
  /** The spec lists no values; the simulator uses `user` and `assistant`. */
  role: "user" | "assistant";
  /** The spec says only "an object"; the simulator keeps `{ text }`. */
  content: { text: string };
  meta: Record<string, never>;
  date_created: string;
  date_updated: string;
}

/** One feedback, shaped like the spec's `assistants.v1.service.feedback`. */
export interface SimulatedFeedback {
  id: string;
  assistant_id: string;
  account_sid: string;
  session_id: string;
  /** Required strings in the spec's answer: empty when the request had none. */
  message_id: string;
  text: string;
  /**
   * The spec's answer requires a number although the request's score is optional and has no
   * documented default: 0 when the request had none, as message_id and text are empty then.
   */
  score: number;
  date_created: string;
  date_updated: string;
}

/** A page of a list, as the spec's `ListMessagesResponse`/`ListFeedbacksResponse` give it. */
export interface ListPage<T> {
  items: T[];
  meta: {
    page: number;
    page_size: number;
    first_page_url: string;
    previous_page_url: string | null;
    next_page_url: string | null;
    url: string;
    key: string;
  };
}

/** What the simulator remembers: sessions with their messages, and every feedback given. */
export class SimulatorRecords {
  readonly #sessions: BoundedMap<string, SimulatedMessage[]>;
  readonly #feedbacks: SimulatedFeedback[] = [];
  readonly #maxFeedbacks: number;
  readonly #owner: { accountSid: string; assistantId: string };

  constructor(options: {
    accountSid: string;
    assistantId: string;
    maxSessions: number;
    maxFeedbacks: number;
  }) {
    this.#sessions = new BoundedMap(options.maxSessions);
    this.#maxFeedbacks = options.maxFeedbacks;
    this.#owner = { accountSid: options.accountSid, assistantId: options.assistantId };
  }

  /** The session's user bodies so far, oldest first. */
  history(sessionId: string): string[] {
    const messages = this.#sessions.get(sessionId) ?? [];
    return messages.filter((m) => m.role === "user").map((m) => m.content.text);
  }

  /** Adds a message to a session (creating it). */
  addMessage(sessionId: string, identity: string, role: SimulatedMessage["role"], text: string): void {
    const messages = this.#sessions.get(sessionId) ?? [];
    const now = new Date().toISOString();
    messages.push({
      id: `aia_msg_${randomBytes(12).toString("hex")}`,
      account_sid: this.#owner.accountSid,
      assistant_id: this.#owner.assistantId,
      session_id: sessionId,
      identity,
      role,
      content: { text },
      meta: {},
      date_created: now,
      date_updated: now,
    });
    // set() also marks the session as recently used, so the least recently used one is forgotten first.
    this.#sessions.set(sessionId, messages);
  }

  /** A session's messages, oldest first; undefined for a session the simulator does not know. */
  messages(sessionId: string): readonly SimulatedMessage[] | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Stores one feedback and returns it (the oldest are forgotten past the bound). */
  addFeedback(fields: {
    sessionId: string;
    messageId: string;
    score: number | null;
    text: string;
  }): SimulatedFeedback {
    const now = new Date().toISOString();
    const feedback: SimulatedFeedback = {
      id: `aia_fdbk_${randomBytes(12).toString("hex")}`,
      assistant_id: this.#owner.assistantId,
      account_sid: this.#owner.accountSid,
      session_id: fields.sessionId,
      message_id: fields.messageId,
      text: fields.text,
      score: fields.score ?? 0,
      date_created: now,
      date_updated: now,
    };
    this.#feedbacks.push(feedback);
    if (this.#feedbacks.length > this.#maxFeedbacks) this.#feedbacks.shift();
    return feedback;
  }

  get feedbacks(): readonly SimulatedFeedback[] {
    return this.#feedbacks;
  }
}

/** Paging parameters as the spec defines them: `Page` ≥ 0, `PageSize` 1–1000 (default 50). */
export function readPaging(query: URLSearchParams): { page: number; pageSize: number } | string {
  const page = query.get("Page") ?? "0";
  const pageSize = query.get("PageSize") ?? "50";
  if (!/^\d+$/.test(page)) return `Invalid parameter Page: ${page}`;
  if (!/^\d+$/.test(pageSize) || Number(pageSize) < 1 || Number(pageSize) > 1000) {
    return `Invalid parameter PageSize: ${pageSize} (1 to 1000)`;
  }
  return { page: Number(page), pageSize: Number(pageSize) };
}

/** One page of `all`, with the spec's `meta` (absolute URLs, as Twilio gives them). */
export function pageOf<T>(
  all: readonly T[],
  paging: { page: number; pageSize: number },
  url: string,
  key: string,
): ListPage<T> {
  const { page, pageSize } = paging;
  const at = (n: number) => `${url}?PageSize=${pageSize}&Page=${n}`;
  const start = page * pageSize;
  return {
    items: all.slice(start, start + pageSize),
    meta: {
      page,
      page_size: pageSize,
      first_page_url: at(0),
      previous_page_url: page > 0 ? at(page - 1) : null,
      next_page_url: start + pageSize < all.length ? at(page + 1) : null,
      url: at(page),
      key,
    },
  };
}
