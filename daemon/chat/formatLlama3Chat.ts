import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { ChatPrompt } from "./ChatPrompt.js";
import { trimAsciiSpace } from "./trimAsciiSpace.js";

/**
 * Llama 3 / 3.1: each message as `<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>`
 * with the content trimmed, then the assistant's header to open the answer. No
 * `<|begin_of_text|>`: that is BOS, which tokenizing with addSpecial adds.
 */
export function formatLlama3Chat(messages: readonly ChatMessage[]): ChatPrompt {
  const prompt = new ChatPrompt();
  for (const { role, content } of messages) {
    prompt.marker(`<|start_header_id|>${role}<|end_header_id|>\n\n`).content(trimAsciiSpace(content)).marker("<|eot_id|>");
  }
  return prompt.marker("<|start_header_id|>assistant<|end_header_id|>\n\n");
}
