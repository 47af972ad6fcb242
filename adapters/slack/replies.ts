import type { webApi } from "@slack/bolt";
import type { Reply, ThreadPort } from "../../src/types.js";
import type { WorkingIndicator } from "./indicator.js";
import { renderMessages, type SlackMessage } from "./render.js";

/** Where a question was asked: replies go to its thread, the indicator on the question itself. */
export interface SlackTarget {
  /** The workspace (the DM status falls back to the reaction per workspace). */
  team: string;
  /** A direct message (the indicator is the thread's status there). */
  dm: boolean;
  channel: string;
  /** The thread root ts. */
  thread: string;
  /** The question's own ts. */
  ts: string;
}

/** The core's handle on one Slack thread: `chat.postMessage` in order, one per rendered message. */
export function slackThreadPort(
  client: Pick<webApi.WebClient, "chat">,
  indicator: WorkingIndicator,
  target: SlackTarget,
): ThreadPort {
  // Slack clears a thread's status when the app posts there: the indicator need not do it then.
  let posted = false;
  return {
    async post(reply: Reply) {
      await postRendered(client, target, renderMessages(reply));
      posted = true;
    },
    startWorking() {
      return indicator.start(target, () => posted);
    },
  };
}

/** Posts plain-text messages one after another (each waits for the last, so they arrive in order). */
export async function postMessages(
  client: Pick<webApi.WebClient, "chat">,
  target: Pick<SlackTarget, "channel" | "thread">,
  messages: readonly string[],
): Promise<void> {
  await postRendered(
    client,
    target,
    messages.map((text) => ({ text })),
  );
}

async function postRendered(
  client: Pick<webApi.WebClient, "chat">,
  target: Pick<SlackTarget, "channel" | "thread">,
  messages: readonly SlackMessage[],
): Promise<void> {
  for (const { text, blocks } of messages) {
    await client.chat.postMessage({
      channel: target.channel,
      thread_ts: target.thread,
      text,
      ...(blocks ? { blocks } : {}),
    });
  }
}
