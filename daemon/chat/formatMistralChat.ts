import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { ChatPrompt } from "./ChatPrompt.js";
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
export function formatMistralChat(messages: readonly ChatMessage[], variant: MistralVariant): ChatPrompt {
  if (variant === "mistral-v7" || variant === "mistral-v7-tekken") return formatV7(messages, variant === "mistral-v7" ? " " : "");
  const leadingSpace = variant === "mistral-v1" ? " " : "";
  const trailingSpace = variant === "mistral-v3-tekken" ? "" : " ";
  const trimAnswers = variant === "mistral-v3";
  const prompt = new ChatPrompt();
  let insideTurn = false;
  for (const { role, content } of messages) {
    if (!insideTurn) {
      prompt.marker(`${leadingSpace}[INST]${trailingSpace}`);
      insideTurn = true;
    }
    if (role === "system") {
      prompt.content(content).marker("\n\n");
    } else if (role === "user") {
      prompt.content(content).marker(`${leadingSpace}[/INST]`);
    } else {
      prompt.marker(trailingSpace).content(trimAnswers ? trimAsciiSpace(content) : content).marker("</s>");
      insideTurn = false;
    }
  }
  return prompt;
}

function formatV7(messages: readonly ChatMessage[], space: string): ChatPrompt {
  const prompt = new ChatPrompt();
  for (const { role, content } of messages) {
    if (role === "system") prompt.marker(`[SYSTEM_PROMPT]${space}`).content(content).marker("[/SYSTEM_PROMPT]");
    else if (role === "user") prompt.marker(`[INST]${space}`).content(content).marker("[/INST]");
    else prompt.marker(space).content(content).marker("</s>");
  }
  return prompt;
}
