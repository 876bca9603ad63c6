import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";

/**
 * ChatML (Qwen, many fine-tunes): each message as `<|im_start|>ROLE\nCONTENT<|im_end|>\n`, then
 * `<|im_start|>assistant\n` to open the answer; contents are not trimmed.
 */
export function formatChatMl(messages: readonly ChatMessage[]): string {
  let prompt = "";
  for (const { role, content } of messages) prompt += `<|im_start|>${role}\n${content}<|im_end|>\n`;
  return `${prompt}<|im_start|>assistant\n`;
}
