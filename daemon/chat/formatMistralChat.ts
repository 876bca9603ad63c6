import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { trimAsciiSpace } from "./trimAsciiSpace.js";

/** The official Mistral template versions (mistralai/cookbook, "chat_templates.md"). */
export type MistralVariant = "mistral-v1" | "mistral-v3" | "mistral-v3-tekken" | "mistral-v7" | "mistral-v7-tekken";

/**
 * Mistral's official formats, spaces exactly as llama.cpp writes them. v1/v3/v3-tekken:
 * `[INST] SYSTEM\n\nUSER[/INST] ASSISTANT</s>[INST] USER[/INST]` — v1 puts a space before each
 * `[INST]` and `[/INST]`, tekken none after `[INST]` or before the answer, v3 trims answers.
 * v7: the system prompt in `[SYSTEM_PROMPT] … [/SYSTEM_PROMPT]`, each user turn in
 * `[INST] … [/INST]` (tekken without the spaces). BOS comes from the tokenizer.
 */
export function formatMistralChat(messages: readonly ChatMessage[], variant: MistralVariant): string {
  if (variant === "mistral-v7" || variant === "mistral-v7-tekken") return formatV7(messages, variant === "mistral-v7" ? " " : "");
  const leadingSpace = variant === "mistral-v1" ? " " : "";
  const trailingSpace = variant === "mistral-v3-tekken" ? "" : " ";
  const trimAnswers = variant === "mistral-v3";
  let prompt = "";
  let insideTurn = false;
  for (const { role, content } of messages) {
    if (!insideTurn) {
      prompt += `${leadingSpace}[INST]${trailingSpace}`;
      insideTurn = true;
    }
    if (role === "system") {
      prompt += `${content}\n\n`;
    } else if (role === "user") {
      prompt += `${content}${leadingSpace}[/INST]`;
    } else {
      prompt += `${trailingSpace}${trimAnswers ? trimAsciiSpace(content) : content}</s>`;
      insideTurn = false;
    }
  }
  return prompt;
}

function formatV7(messages: readonly ChatMessage[], space: string): string {
  let prompt = "";
  for (const { role, content } of messages) {
    if (role === "system") prompt += `[SYSTEM_PROMPT]${space}${content}[/SYSTEM_PROMPT]`;
    else if (role === "user") prompt += `[INST]${space}${content}[/INST]`;
    else prompt += `${space}${content}</s>`;
  }
  return prompt;
}
