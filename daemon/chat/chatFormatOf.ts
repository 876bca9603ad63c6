import { NtError } from "../../protocol/NtError.js";
import type { ChatFormatId } from "./ChatFormatId.js";
import { detectChatFormat } from "./detectChatFormat.js";

/**
 * The chat format of a model: the one its load asked for (`override`, --chat-template), else the
 * one its tokenizer.chat_template is, else ChatML when the file has no template (as llama-server
 * falls back; the registry logs it once per load). A template of a family ntd cannot apply is
 * NT_E_UNSUPPORTED, saying how to choose a format instead.
 */
export function chatFormatOf(modelName: string, template: string | undefined, override?: ChatFormatId): ChatFormatId {
  if (override !== undefined) return override;
  if (template === undefined || template === "") return "chatml";
  const detection = detectChatFormat(template);
  if (detection.supported) return detection.format;
  const choose = "; load it with --chat-template NAME to use one of those, or use generate with a prompt";
  throw new NtError("NT_E_UNSUPPORTED", detection.family
    ? `model ${modelName} has a chat template of the ${detection.family} family, which ntd cannot apply yet; `
      + `supported: Llama 3, Llama 2, Mistral, ChatML${choose}`
    : `model ${modelName} has a chat template ntd does not recognise; supported: Llama 3, Llama 2, Mistral, ChatML${choose}`);
}
