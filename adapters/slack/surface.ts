import type { App } from "@slack/bolt";
import { TtlSet } from "../../src/collections/ttl-set.js";
import type { Logger } from "../../src/logger.js";
import { callWithin, type SlackCaller } from "./api.js";

export interface AgentSurfaceOptions {
  /** The adapter's Web API transport (no queue: the prompts' 429s never pause the replies). */
  call: SlackCaller;
  logger: Logger;
  /** SLACK_SUGGESTED_PROMPTS: each is both the button's title and the message it sends. */
  prompts: readonly string[];
}

/**
 * One opening of the Messages tab is one `app_home_opened` event; Slack's retries of it carry the
 * same `event_ts`. Remembered past Slack's last retry (about 5 minutes after the first delivery).
 */
const OPENINGS = { ttlMs: 15 * 60_000, maxEntries: 50_000 };
/** The prompts are a nicety: never worth a long wait. */
const CALL_TIMEOUT_MS = 10_000;

/**
 * Slack's agent messaging experience (`features.agent_view`): when someone opens the bot's Messages
 * tab, its composer offers the suggested prompts. Handled directly, not with Bolt's `Assistant`
 * class, which drives the legacy assistant view. Never delays or disturbs anything else: the call
 * goes out after the event is acknowledged and a failure is only logged.
 */
export function registerAgentSurface(app: App, options: AgentSurfaceOptions): void {
  const { call, logger } = options;
  const prompts = options.prompts.map((prompt) => ({ title: prompt, message: prompt }));
  const openings = new TtlSet(OPENINGS);
  app.event("app_home_opened", async ({ event, body }) => {
    if (prompts.length === 0 || event.tab !== "messages") return;
    const team = (body as { team_id?: unknown }).team_id;
    // Per person and opening: a retry (same event_ts) is the same opening; every new opening is not.
    if (!openings.add(`${String(team)}/${event.user}/${event.event_ts}`)) return;
    // Without thread_ts: an agent-view app that passes one sees the call "succeed" and show nothing.
    const args = { channel_id: event.channel, prompts: JSON.stringify(prompts) };
    callWithin(call, "assistant.threads.setSuggestedPrompts", args, CALL_TIMEOUT_MS).then(
      () => logger.debug({ user: event.user }, "slack suggested prompts set"),
      (error: unknown) => logger.warn({ err: error }, "could not set the slack suggested prompts"),
    );
  });
}
