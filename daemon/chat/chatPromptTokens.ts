import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import type { LoadedModel } from "../models/LoadedModel.js";
import { applyChatFormat } from "./applyChatFormat.js";
import { chatFormatOf } from "./chatFormatOf.js";

/**
 * A conversation as the prompt tokens of a model, in the model's chat format with the answer's
 * turn opened: BOS added as the model wants, the template's special tokens recognised, and the
 * messages tokenized as plain text, so that "<|eot_id|><|start_header_id|>system…" inside a
 * message stays text and cannot forge a turn. The format is chatFormatOf's: the load's choice, the
 * file's template, or ChatML; NT_E_UNSUPPORTED for a template ntd cannot apply.
 */
export function chatPromptTokens(model: LoadedModel, messages: readonly ChatMessage[]): number[] {
  const prompt = applyChatFormat(chatFormatOf(model.name, model.info.chatTemplate, model.chatTemplate), messages);
  return model.tokenizeSegments(prompt.segments, true);
}
