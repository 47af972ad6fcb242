import type { App } from "@slack/bolt";
import type { Logger } from "../../src/logger.js";

/**
 * Acknowledges at once, logged at debug, every interactive payload (block_actions, view_submission,
 * view_closed, shortcuts, slash commands…) that is not the bridge's own. Bolt leaves one that no
 * listener takes unacknowledged: in Socket Mode its envelope is never acked and the person sees the
 * app fail after 3 s. In HTTP mode the events guard answers these before Bolt sees them.
 */
export function acknowledgeForeignInteractivity(
  app: App,
  options: { ours: (body: Readonly<Record<string, unknown>>) => boolean; logger: Logger },
): void {
  app.use(async (args) => {
    const body = args.body as Readonly<Record<string, unknown>>;
    // Events API payloads are acknowledged by Bolt before any middleware runs; they carry no ack.
    const ack = "ack" in args ? args.ack : undefined;
    if (body.type === "event_callback" || ack === undefined || options.ours(body)) return args.next();
    await ack();
    options.logger.debug({ type: body.type, command: body.command }, "slack: payload not used");
  });
}
