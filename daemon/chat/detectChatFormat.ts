import { CHAT_FORMAT_IDS, type ChatFormatId } from "./ChatFormatId.js";

/** What a tokenizer.chat_template is: a format ntd applies, or not (with llama.cpp's family name when known). */
export type ChatFormatDetection =
  | { supported: true; format: ChatFormatId }
  | { supported: false; family?: string };

/**
 * Families llama.cpp recognises before Llama 3 and that ntd cannot apply yet, in llama.cpp's order:
 * a template matching one of these is that family for llama.cpp, even if it also mentions Llama 3's
 * header tokens, so it must not be formatted as Llama 3 here.
 */
const EARLIER_FAMILIES: [family: string, matches: (has: (s: string) => boolean) => boolean][] = [
  ["phi3", (has) => has("<|assistant|>") && has("<|end|>")],
  ["chatglm4", (has) => has("[gMASK]<sop>")],
  ["falcon3", (has) => has("<|assistant|>") && has("<|user|>") && has("</s>")],
  ["glmedge", (has) => has("<|assistant|>") && has("<|user|>")],
  ["glmedge", (has) => has("<|{{ item['role'] }}|>") && has("<|begin_of_image|>")],
  ["zephyr", (has) => has("<|user|>") && has("<|endoftext|>")],
  ["monarch", (has) => has("bos_token + message['role']")],
  ["gemma", (has) => has("<start_of_turn>")],
  ["orion", (has) => has("'\\n\\nAssistant: ' + eos_token")],
  ["openchat", (has) => has("GPT4 Correct ")],
  ["vicuna-orca", (has) => has("USER: ") && has("ASSISTANT: ") && has("SYSTEM: ")],
  ["vicuna", (has) => has("USER: ") && has("ASSISTANT: ")],
  ["deepseek", (has) => has("### Instruction:") && has("<|EOT|>")],
  ["command-r", (has) => has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>")],
];

/**
 * Recognises a model's tokenizer.chat_template by the markers llama.cpp's llm_chat_detect_template
 * looks for, in its order, so a model gets the same prompt format as under llama.cpp. It is not a
 * Jinja interpreter: it picks one of a few hand-written formats. A template that is exactly a
 * format's name ("chatml") selects it, as in llama.cpp.
 */
export function detectChatFormat(template: string): ChatFormatDetection {
  if ((CHAT_FORMAT_IDS as readonly string[]).includes(template)) return { supported: true, format: template as ChatFormatId };
  const has = (marker: string) => template.includes(marker);
  if (has("<|im_start|>")) {
    if (has("<|im_sep|>")) return { supported: false, family: "phi4" };
    // SmolVLM uses <|im_start|> as its BOS, but its turns are not ChatML.
    if (has("<end_of_utterance>")) return { supported: false, family: "smolvlm" };
    return { supported: true, format: "chatml" };
  }
  if (template.startsWith("mistral") || has("[INST]")) return { supported: true, format: instFormat(has) };
  for (const [family, matches] of EARLIER_FAMILIES) {
    if (matches(has)) return { supported: false, family };
  }
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return { supported: true, format: "llama3" };
  return { supported: false };
}

/** The [INST] formats: Mistral's official v7, v1, v3 and v3-tekken templates, else a Llama 2 variant. */
function instFormat(has: (marker: string) => boolean): ChatFormatId {
  if (has("[SYSTEM_PROMPT]")) return "mistral-v7";
  // "' [INST] ' + system_message" is in the official v1 template, "[AVAILABLE_TOOLS]" in v3 and v3-tekken.
  if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
    if (has(" [INST]")) return "mistral-v1";
    if (has("\"[INST]\"")) return "mistral-v3-tekken";
    return "mistral-v3";
  }
  // Llama 2 and the older Mistral Instruct templates; the order of these checks is llama.cpp's.
  if (has("content.strip()")) return "llama2-sys-strip";
  if (has("bos_token + '[INST]")) return "llama2-sys-bos";
  if (has("<<SYS>>")) return "llama2-sys";
  return "llama2";
}
