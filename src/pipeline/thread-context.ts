import type { ThreadPort } from "../adapter.js";
import type { Logger } from "../logger.js";
import type { ChatMessage, ContextMessage } from "../types.js";
import { composeQuestion } from "./context.js";

/** What a question that starts a session inside an earlier conversation is sent with (THREAD_CONTEXT). */
export interface ThreadContextLimits {
  /** THREAD_CONTEXT_MAX_MESSAGES: the newest earlier messages read at most. */
  maxMessages: number;
  /** THREAD_CONTEXT_MAX_CHARS: the labelled block of earlier messages at most. */
  maxChars: number;
}

/** A platform read slower than this is given up: the question goes without its context. */
const CONTEXT_READ_TIMEOUT_MS = 4_000;

export interface ContextOptions {
  /** Null: THREAD_CONTEXT=off, questions go alone. */
  limits: ThreadContextLimits | null;
  /** ASSISTANT_MAX_INPUT_CHARS: the question with its context stays within it. */
  maxInputChars: number;
  /** Ends the read early (shutdown). */
  signal: AbortSignal;
}

/**
 * The question, with the conversation it starts a session in when the adapter marked it so (the
 * port reads nothing for an unmarked message): called once per message, never per retry. A read
 * that fails or is slow leaves the plain question, at once, with one warning: never a lost or late
 * question. Nothing read is logged.
 */
export async function questionWithContext(
  port: ThreadPort,
  message: ChatMessage,
  log: Logger,
  options: ContextOptions,
): Promise<string> {
  const { limits, maxInputChars } = options;
  if (limits === null) return message.text;
  let earlier: ContextMessage[];
  try {
    const signal = AbortSignal.any([AbortSignal.timeout(CONTEXT_READ_TIMEOUT_MS), options.signal]);
    earlier = await port.readContext(limits.maxMessages, signal);
  } catch (error) {
    log.warn({ err: error }, "could not read the thread's earlier messages; the question goes alone");
    return message.text;
  }
  if (earlier.length === 0) return message.text;
  const body = composeQuestion(message.text, earlier, {
    maxMessages: limits.maxMessages,
    maxContextChars: limits.maxChars,
    maxTotalChars: maxInputChars,
  });
  log.info(
    { messages: earlier.length, contextChars: body.length - message.text.length },
    "question sent with the thread's earlier messages",
  );
  return body;
}
