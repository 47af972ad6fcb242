/**
 * The one "refuse once" rule for people outside a platform's allow-lists: a person hears the refusal
 * once per conversation (a Slack thread, a Discord DM channel, thread or text channel) per hour, and
 * is then left in peace there.
 *
 * - Per conversation, not per message: a follow-up in a busy thread is not even addressed to the
 *   bot, and every twin or redelivery of a message (Slack's app_mention/message pair and retries up
 *   to 5 minutes later; every Discord replica on the gateway sees each message) must stay quiet.
 * - Per person: someone else refused in the same thread deserves their own explanation.
 * - An hour: longer than any redelivery, short enough that a person back later hears why again.
 * - In the shared memory (atomic, so replicas and a restart agree on who was told).
 */
import type { SharedMemory } from "./adapter.js";
import type { Logger } from "./logger.js";
import type { Platform } from "./types.js";

/** How long a refused person is not told again in the same conversation. */
export const REFUSAL_QUIET_MS = 60 * 60_000;

/**
 * True when `person` should be told the refusal in `conversation` now (and remembers that they
 * were). When the shared memory cannot be reached the refusal is told: better twice than never.
 */
export async function shouldTellRefusal(
  memory: Pick<SharedMemory, "once">,
  logger: Logger,
  refused: { platform: Platform; conversation: string; person: string },
): Promise<boolean> {
  const key = `refused:${refused.platform}:${refused.conversation}:${refused.person}`;
  try {
    return await memory.once(key, REFUSAL_QUIET_MS);
  } catch (error) {
    logger.warn({ err: error }, "could not check whether a refusal was told already; telling it");
    return true;
  }
}
