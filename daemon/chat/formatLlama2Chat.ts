import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { ChatPrompt } from "./ChatPrompt.js";
import { trimAsciiSpace } from "./trimAsciiSpace.js";

/** The Llama 2 variants llama.cpp tells apart (see detectChatFormat). */
export type Llama2Variant = "llama2" | "llama2-sys" | "llama2-sys-bos" | "llama2-sys-strip";

/**
 * Llama 2 chat, and the older Mistral Instruct templates that llama.cpp treats as its "llama2":
 * `[INST] <<SYS>>\nSYSTEM\n<</SYS>>\n\nUSER [/INST]ASSISTANT</s>[INST] USER [/INST]`. The first
 * `<s>` is BOS, added by the tokenizer. Variants: "llama2" has no system block (the system text
 * then opens the first turn, followed by "\n"); "-bos" writes `<s>` before each later turn;
 * "-strip" trims every content. The prompt ends with `[/INST]`, where the answer begins.
 */
export function formatLlama2Chat(messages: readonly ChatMessage[], variant: Llama2Variant): ChatPrompt {
  const systemBlock = variant !== "llama2";
  const turnOpening = variant === "llama2-sys-bos" ? "<s>[INST] " : "[INST] ";
  const strip = variant === "llama2-sys-strip";
  const prompt = new ChatPrompt().marker("[INST] ");
  let insideTurn = true;
  for (const message of messages) {
    const content = strip ? trimAsciiSpace(message.content) : message.content;
    if (!insideTurn) {
      prompt.marker(turnOpening);
      insideTurn = true;
    }
    if (message.role === "system") {
      if (systemBlock) prompt.marker("<<SYS>>\n").content(content).marker("\n<</SYS>>\n\n");
      else prompt.content(content).marker("\n");
    } else if (message.role === "user") {
      prompt.content(content).marker(" [/INST]");
    } else {
      prompt.content(content).marker("</s>");
      insideTurn = false;
    }
  }
  return prompt;
}
