/** What the Slack adapter says on its own (the core's notices are in src/notices.ts). Plain text. */

/** For a mention with nothing after it. */
export const EMPTY_QUESTION =
  "Hi! Mention me together with your question, and I'll answer here in the thread.";

/**
 * The first line of a reply sent by DM because its thread refused it, by Slack's error code;
 * `{channel}` becomes a link to the channel.
 */
export function undeliverableNotice(code: string): string {
  const why =
    code === "not_in_channel"
      ? "I'm not a member of that channel any more (add me again with /invite)"
      : code === "is_archived"
        ? "that channel is archived"
        : code === "channel_not_found"
          ? "I can no longer see that channel"
          : code.startsWith("restricted_action")
            ? "posting there is restricted"
            : "the thread no longer takes replies";
  return `I couldn't post my answer in {channel} because ${why}. Here it is:`;
}
