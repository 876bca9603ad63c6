import { NtError } from "../../protocol/NtError.js";
import type { ChatFormatId } from "./ChatFormatId.js";
import { detectChatFormat } from "./detectChatFormat.js";

/**
 * The chat format for a model's tokenizer.chat_template, or NT_E_UNSUPPORTED saying why there is
 * none: the file has no template, or its family is one ntd cannot apply (yet).
 */
export function chatFormatOf(modelName: string, template: string | undefined): ChatFormatId {
  if (template === undefined || template === "") {
    throw new NtError("NT_E_UNSUPPORTED",
      `model ${modelName} has no tokenizer.chat_template, so it cannot chat; use generate with a prompt`);
  }
  const detection = detectChatFormat(template);
  if (detection.supported) return detection.format;
  throw new NtError("NT_E_UNSUPPORTED", detection.family
    ? `model ${modelName} has a chat template of the ${detection.family} family, which ntd cannot apply yet; `
      + "supported: Llama 3, Llama 2, Mistral, ChatML"
    : `model ${modelName} has a chat template ntd does not recognise; supported: Llama 3, Llama 2, Mistral, ChatML`);
}
