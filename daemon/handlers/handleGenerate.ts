import { runGeneration } from "../generation/runGeneration.js";
import { percentProgress } from "./percentProgress.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `generate`: loads the model first when given a path the daemon does not hold (streaming its
 * progress), tokenizes the prompt in the daemon (BOS added by default, as the model's metadata
 * asks) or takes token ids as given, then streams the generation.
 */
export const handleGenerate: VerbHandler<"generate"> = async (params, context, signal, emit) => {
  const { model: reference, prompt, tokens, addSpecial = true, parseSpecial = false, keepAlive, ...sampling } = params;
  const model = await context.models.get(reference, signal, { keepAlive, autoLoad: true, onProgress: percentProgress(emit) });
  const promptTokens = tokens ?? model.tokenize(prompt ?? "", addSpecial, parseSpecial);
  return runGeneration(model, promptTokens, sampling, signal, emit);
};
