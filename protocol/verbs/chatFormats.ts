/**
 * The chat formats ntd can apply, named as llama.cpp names them (LLM_CHAT_TEMPLATES in
 * src/llama-chat.cpp), so a name means the same prompt in both: what `--chat-template NAME`
 * accepts and what a model's `chatFormat` reports.
 */
export const CHAT_FORMAT_IDS = [
  "chatml",
  "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip",
  "mistral-v1", "mistral-v3", "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken",
  "llama3",
] as const;

export type ChatFormatId = (typeof CHAT_FORMAT_IDS)[number];
