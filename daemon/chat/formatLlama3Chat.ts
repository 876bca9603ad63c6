import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { trimAsciiSpace } from "./trimAsciiSpace.js";

/**
 * Llama 3 / 3.1: each message as `<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>`
 * with the content trimmed, then the assistant's header to open the answer. No
 * `<|begin_of_text|>`: that is BOS, which tokenizing with addSpecial adds.
 */
export function formatLlama3Chat(messages: readonly ChatMessage[]): string {
  let prompt = "";
  for (const { role, content } of messages) {
    prompt += `<|start_header_id|>${role}<|end_header_id|>\n\n${trimAsciiSpace(content)}<|eot_id|>`;
  }
  return `${prompt}<|start_header_id|>assistant<|end_header_id|>\n\n`;
}
