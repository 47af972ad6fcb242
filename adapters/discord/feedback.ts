import {
  type APIModalInteractionResponseCallbackData,
  type ButtonInteraction,
  type Client,
  ComponentType,
  type Interaction,
  MessageFlags,
  type ModalSubmitInteraction,
  TextInputStyle,
} from "discord.js";
import type { FeedbackPort, VoteResult } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { feedbackReplies, MAX_COMMENT_CHARS } from "../../src/pipeline/feedback.js";
import { FEEDBACK_PREFIX, feedbackRow } from "./replies.js";

export interface DiscordFeedbackOptions {
  recorder: FeedbackPort;
  logger: Logger;
}

/** The 👎 modal's custom_id is `fbc:<token>`; its one text input is `comment`. */
const MODAL_PREFIX = `${FEEDBACK_PREFIX}c:`;
const BUTTON_PREFIX = `${FEEDBACK_PREFIX}:`;
const COMMENT_INPUT = "comment";

/**
 * The feedback buttons' permanent listener. It handles only its own custom_ids (`fb:…`, `fbc:…`), so
 * other `interactionCreate` listeners (slash commands) work beside it. A 👍 is recorded at once; a 👎
 * opens a modal with an optional comment and is recorded when the modal is sent. Discord tells the
 * bot nothing when a modal is dismissed, so a dismissed 👎 is not recorded (the person may click again).
 */
export function registerFeedback(client: Client, options: DiscordFeedbackOptions): void {
  client.on("interactionCreate", (interaction) => {
    handle(interaction, options).catch((error: unknown) => {
      options.logger.warn({ err: error }, "discord: feedback interaction failed");
    });
  });
}

async function handle(interaction: Interaction, options: DiscordFeedbackOptions): Promise<void> {
  if (interaction.isButton() && interaction.customId.startsWith(BUTTON_PREFIX)) {
    const rest = interaction.customId.slice(BUTTON_PREFIX.length);
    const score = rest.slice(0, 1);
    const token = rest.slice(2);
    if (rest[1] !== ":" || token === "") return;
    if (score === "1") return vote(interaction, options, token, 1, "");
    if (score === "0") {
      // A modal must be the first answer to the click (no store call before it: 3 s).
      await interaction.showModal(commentModal(token));
    }
    return;
  }
  if (interaction.isModalSubmit() && interaction.customId.startsWith(MODAL_PREFIX)) {
    const token = interaction.customId.slice(MODAL_PREFIX.length);
    // An empty optional field may be left out of the submission; discord.js throws for a missing one.
    let text = "";
    try {
      text = interaction.fields.getTextInputValue(COMMENT_INPUT);
    } catch {
      // no comment
    }
    await vote(interaction, options, token, 0, text);
  }
}

/**
 * Acknowledges within Discord's 3 s, records, then confirms. In a DM only the voter sees the answer,
 * so its buttons are disabled; in a server anyone may vote, so the voter gets an ephemeral reply.
 */
async function vote(
  interaction: ButtonInteraction | ModalSubmitInteraction,
  options: DiscordFeedbackOptions,
  token: string,
  score: 0 | 1,
  text: string,
): Promise<void> {
  const inDm = interaction.guildId === null && interaction.message !== null;
  if (inDm) await interaction.deferUpdate();
  else await interaction.deferReply({ flags: MessageFlags.Ephemeral });

  const result = await record(options, interaction.user.id, token, score, text);
  const counted = result === "recorded" || result === "already";
  if (inDm && counted) {
    await interaction.editReply({ components: [feedbackRow(token, true)] });
  } else if (inDm) {
    await interaction.followUp({ content: feedbackReplies[result], flags: MessageFlags.Ephemeral });
  } else {
    await interaction.editReply({ content: feedbackReplies[result] });
  }
}

async function record(
  options: DiscordFeedbackOptions,
  voter: string,
  token: string,
  score: 0 | 1,
  text: string,
): Promise<VoteResult | "expired"> {
  const { recorder, logger } = options;
  let ref: Awaited<ReturnType<FeedbackPort["unpack"]>>;
  try {
    ref = await recorder.unpack(token);
  } catch (error) {
    logger.warn({ err: error }, "discord feedback: the store is unavailable");
    return "unavailable";
  }
  if (!ref) return "expired";
  return recorder.record({ platform: "discord", voter, ...ref, score, text });
}

/** The 👎 modal: one optional comment. */
function commentModal(token: string): APIModalInteractionResponseCallbackData {
  return {
    custom_id: `${MODAL_PREFIX}${token}`,
    title: "What went wrong?",
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: COMMENT_INPUT,
            style: TextInputStyle.Paragraph,
            label: "What was wrong with the answer? (optional)",
            required: false,
            max_length: MAX_COMMENT_CHARS,
          },
        ],
      },
    ],
  };
}
