import { chatPromptTokens } from "../chat/chatPromptTokens.js";
import { runGeneration } from "../generation/runGeneration.js";
import { percentProgress } from "./percentProgress.js";
import { splitLoadOptions } from "./splitLoadOptions.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `chat`: the conversation in the model's chat format, tokenized as llama.cpp's server does (BOS
 * added, the template's special-token texts such as "<|eot_id|>" recognised) except that message
 * contents are always plain text, then generated like `generate` (which also loads a model given
 * by a path the daemon does not hold, or reloads it with the load options given).
 */
export const handleChat: VerbHandler<"chat"> = async (params, context, signal, emit) => {
  const [load, { model: reference, messages, keepAlive, ...sampling }] = splitLoadOptions(params);
  const model = await context.models.get(reference, signal, { keepAlive, load, autoLoad: true, onProgress: percentProgress(emit) });
  return { model: model.name, ...await runGeneration(model, chatPromptTokens(model, messages), sampling, signal, emit) };
};
