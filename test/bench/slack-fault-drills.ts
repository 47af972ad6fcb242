/**
 * The drills of a misbehaving Slack (issue 19): a 429 far longer than any reply deadline, posts that
 * hang for 40 s and then go through, and a bot token revoked and restored with messages in between.
 * Real time and the bridge's defaults (10 s per attempt, SLACK_LOOKUPS_PER_MINUTE 50).
 */
import { BOT_USER, envelope } from "../support/slack-events.js";
import { type DrillResult, deliver, drill, log, mentions, type Stage } from "./drill-stage.js";
import type { SlackCounter } from "./slack-counter.js";

/** Threads per drill: enough to queue behind one channel's pause and the look-up pace. */
const THREADS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once every thread has a post; returns how long that took from `since` (ms). */
async function answeredAfter(stage: Stage, threads: readonly string[], since: number, timeoutMs: number) {
  await stage.allAnswered(threads, timeoutMs);
  return Math.round(performance.now() - since);
}

export async function slackFaultDrills(slack: SlackCounter): Promise<DrillResult[]> {
  const results: DrillResult[] = [];
  results.push(
    await drill(
      slack,
      "Slack 429 with Retry-After 30 s, then 60 s, on the one channel",
      {},
      async (stage) => {
        const { threads, deliveries } = mentions(THREADS);
        stage.slack.rateLimit("chat.postMessage", 1, 30);
        const started = performance.now();
        const refused = await deliver(stage, deliveries);
        while (stage.slack.rateLimited < 1) await sleep(20);
        stage.slack.rateLimit("chat.postMessage", 1, 60);
        const allMs = await answeredAfter(stage, threads, started, 180_000);
        return { threads, deliveries: deliveries.length, details: { refused, allAnsweredMs: allMs } };
      },
    ),
  );
  results.push(
    await drill(slack, `${THREADS} hung posts, released after 40 s`, {}, async (stage) => {
      const { threads, deliveries } = mentions(THREADS);
      const release = stage.slack.holdPosts();
      const refused = await deliver(stage, deliveries);
      await sleep(40_000);
      const releasedAt = performance.now();
      release();
      log("posts released");
      const allMs = await answeredAfter(stage, threads, releasedAt, 600_000);
      return {
        threads,
        deliveries: deliveries.length,
        details: { refused, allAnsweredAfterReleaseMs: allMs },
      };
    }),
  );
  results.push(
    await drill(slack, `bot token revoked for 30 s, ${THREADS} messages in between`, {}, async (stage) => {
      const { threads, deliveries } = mentions(THREADS);
      const restore = stage.slack.revokeToken("token_revoked", 0);
      const revokedEvent = envelope({ type: "tokens_revoked", tokens: { oauth: [], bot: [BOT_USER] } });
      const refused = await deliver(stage, [{ body: revokedEvent }, ...deliveries]);
      await sleep(30_000);
      const answeredWhileRevoked = stage.slack.threads;
      const restoredAt = performance.now();
      restore();
      const allMs = await answeredAfter(stage, threads, restoredAt, 120_000);
      return {
        threads,
        deliveries: deliveries.length + 1,
        details: { refused, answeredWhileRevoked, allAnsweredAfterRestoreMs: allMs },
      };
    }),
  );
  return results;
}
