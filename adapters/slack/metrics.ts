import type { MetricsPort } from "../../src/adapter.js";

/** The Slack adapter's own counters (the names dashboards know), registered on the bridge's /metrics. */
export function registerSlackMetrics(metrics: MetricsPort) {
  return {
    postErrors: metrics.counter(
      "bridge_slack_post_errors_total",
      "Slack posts refused or lost, by Slack's error code (not_in_channel, msg_too_long, timeout, ...).",
      ["error"],
    ),
    postRetries: metrics.counter(
      "bridge_slack_post_retries_total",
      "Slack posts sent again because the first attempt surely did not post (429, refused, 502/503).",
      ["reason"],
    ),
    fallbacks: metrics.counter(
      "bridge_slack_fallback_notices_total",
      "Replies that could not go to their thread and reached the person another way, by way.",
      ["via"],
    ),
    requestsRejected: metrics.counter(
      "bridge_slack_requests_rejected_total",
      "Requests to /slack/events refused before Bolt saw them, by reason.",
      ["reason"],
    ),
    messagesUnanswerable: metrics.messagesUnanswerable,
  };
}

export type SlackMetrics = ReturnType<typeof registerSlackMetrics>;
