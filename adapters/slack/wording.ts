/** What the Slack adapter says on its own (the core's notices are in src/notices.ts). Plain text. */

/** For a mention outside SLACK_ALLOWED_CHANNELS. */
export const REFUSAL_CHANNEL =
  "Sorry, I'm not set up to answer in this channel. Please ask me in a channel where I'm enabled, or contact your Slack admin.";

/** For a person not in SLACK_ALLOWED_USERS. */
export const REFUSAL_USER =
  "Sorry, I'm not set up to answer your questions. If you think you should have access, please contact your Slack admin.";

/** For a mention with nothing after it. */
export const EMPTY_QUESTION =
  "Hi! Mention me together with your question, and I'll answer here in the thread.";

/** Socket Mode only (Slack does not deliver again there): the message could not be stored. */
export const UNAVAILABLE =
  "Sorry, I can't take questions right now. Please send yours again in a few minutes.";
