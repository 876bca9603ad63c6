import { applyChatFormat } from "../chat/applyChatFormat.js";
import { chatFormatOf } from "../chat/chatFormatOf.js";
import { runGeneration } from "../generation/runGeneration.js";
import { percentProgress } from "./percentProgress.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `chat`: the conversation in the model's chat format, tokenized as llama.cpp's server does (BOS
 * added, special-token texts such as "<|eot_id|>" recognised), then generated like `generate`
 * (which also loads a model given by a path the daemon does not hold).
 */
export const handleChat: VerbHandler<"chat"> = async (params, context, signal, emit) => {
  const { model: reference, messages, keepAlive, ...sampling } = params;
  const model = await context.models.get(reference, signal, { keepAlive, autoLoad: true, onProgress: percentProgress(emit) });
  const prompt = applyChatFormat(chatFormatOf(model.name, model.info.chatTemplate), messages);
  return runGeneration(model, model.tokenize(prompt, true, true), sampling, signal, emit);
};
