import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import type { ChatFormatId } from "./ChatFormatId.js";
import type { ChatPrompt } from "./ChatPrompt.js";
import { formatChatMl } from "./formatChatMl.js";
import { formatLlama2Chat } from "./formatLlama2Chat.js";
import { formatLlama3Chat } from "./formatLlama3Chat.js";
import { formatMistralChat } from "./formatMistralChat.js";

/**
 * The prompt for a conversation in a chat format, with the assistant's turn opened (llama.cpp's
 * add_generation_prompt / add_ass). The template's special tokens appear as their text in marker
 * parts, the messages as content parts: tokenize its segments (special-token texts recognised in
 * the markers only), with addSpecial for BOS.
 */
export function applyChatFormat(format: ChatFormatId, messages: readonly ChatMessage[]): ChatPrompt {
  switch (format) {
    case "chatml":
      return formatChatMl(messages);
    case "llama3":
      return formatLlama3Chat(messages);
    case "llama2":
    case "llama2-sys":
    case "llama2-sys-bos":
    case "llama2-sys-strip":
      return formatLlama2Chat(messages, format);
    case "mistral-v1":
    case "mistral-v3":
    case "mistral-v3-tekken":
    case "mistral-v7":
    case "mistral-v7-tekken":
      return formatMistralChat(messages, format);
  }
}
