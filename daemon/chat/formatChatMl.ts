import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { ChatPrompt } from "./ChatPrompt.js";

/**
 * ChatML (Qwen, many fine-tunes): each message as `<|im_start|>ROLE\nCONTENT<|im_end|>\n`, then
 * `<|im_start|>assistant\n` to open the answer; contents are not trimmed.
 */
export function formatChatMl(messages: readonly ChatMessage[]): ChatPrompt {
  const prompt = new ChatPrompt();
  for (const { role, content } of messages) prompt.marker(`<|im_start|>${role}\n`).content(content).marker("<|im_end|>\n");
  return prompt.marker("<|im_start|>assistant\n");
}
