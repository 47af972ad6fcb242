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
import type { FeedbackPort } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { feedbackReplies } from "../../src/pipeline/feedback.js";
import {
  type ClickResult,
  type ClickSurface,
  commentForm,
  onFeedbackClick,
  onFeedbackComment,
} from "../../src/pipeline/feedback-click.js";
import { FEEDBACK_PREFIX, feedbackRow } from "./render.js";

export interface DiscordFeedbackOptions {
  recorder: FeedbackPort;
  logger: Logger;
}

/** The 👎 modal's custom_id is `fbc:<token>`; its one text input is `comment`. */
const MODAL_PREFIX = `${FEEDBACK_PREFIX}c:`;
const BUTTON_PREFIX = `${FEEDBACK_PREFIX}:`;
const COMMENT_INPUT = "comment";

/**
 * The feedback buttons' permanent listener, translating for the core's click flow
 * (src/pipeline/feedback-click.ts). It handles only its own custom_ids (`fb:…`, `fbc:…`), so other
 * `interactionCreate` listeners (slash commands) work beside it. A 👎's comment form is a modal,
 * recorded when it is sent. Discord tells the bot nothing when a modal is dismissed, so a dismissed
 * 👎 is not recorded (the person may click again).
 */
export function registerFeedback(client: Client, options: DiscordFeedbackOptions): void {
  client.on("interactionCreate", (interaction) => {
    handle(interaction, options).catch((error: unknown) => {
      options.logger.warn({ err: error }, "discord: feedback interaction failed");
    });
  });
}

async function handle(interaction: Interaction, options: DiscordFeedbackOptions): Promise<void> {
  const { recorder, logger } = options;
  if (interaction.isButton() && interaction.customId.startsWith(BUTTON_PREFIX)) {
    const value = interaction.customId.slice(BUTTON_PREFIX.length);
    await onFeedbackClick(
      recorder,
      logger,
      { platform: "discord", voter: interaction.user.id, value },
      {
        ...surface(interaction, value.slice(2)),
        askComment: async (token) => {
          // A modal must be the first answer to the click (no store call before it: 3 s).
          await interaction.showModal(commentModal(token));
          return true;
        },
      },
    );
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
    const comment = { platform: "discord" as const, voter: interaction.user.id, token, text };
    await onFeedbackComment(recorder, logger, comment, surface(interaction, token));
  }
}

/**
 * Acknowledges within Discord's 3 s, then confirms. In a DM only the voter sees the answer, so its
 * buttons are disabled once the vote counts; in a server anyone may vote, so the voter gets an
 * ephemeral reply.
 */
function surface(
  interaction: ButtonInteraction | ModalSubmitInteraction,
  token: string,
): Pick<ClickSurface, "acknowledge" | "answer"> {
  const inDm = interaction.guildId === null && interaction.message !== null;
  return {
    acknowledge: async () => {
      if (inDm) await interaction.deferUpdate();
      else await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    },
    answer: async (result: ClickResult) => {
      const counted = result === "recorded" || result === "already";
      if (inDm && counted) {
        await interaction.editReply({ components: [feedbackRow(token, true)] });
      } else if (inDm) {
        await interaction.followUp({ content: feedbackReplies[result], flags: MessageFlags.Ephemeral });
      } else {
        await interaction.editReply({ content: feedbackReplies[result] });
      }
    },
  };
}

/** The 👎 modal: one optional comment. */
function commentModal(token: string): APIModalInteractionResponseCallbackData {
  return {
    custom_id: `${MODAL_PREFIX}${token}`,
    title: commentForm.title,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: COMMENT_INPUT,
            style: TextInputStyle.Paragraph,
            label: commentForm.label,
            required: false,
            max_length: commentForm.maxChars,
          },
        ],
      },
    ],
  };
}
