import { runGeneration } from "../generation/runGeneration.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `generate`: tokenizes the prompt in the daemon (BOS added by default, as the model's metadata
 * asks) or takes token ids as given, then streams the generation.
 */
export const handleGenerate: VerbHandler<"generate"> = async (params, context, signal, emit) => {
  const { model: reference, prompt, tokens, addSpecial = true, parseSpecial = false, ...sampling } = params;
  const model = await context.models.get(reference, signal);
  const promptTokens = tokens ?? model.tokenize(prompt ?? "", addSpecial, parseSpecial);
  return runGeneration(model, promptTokens, sampling, signal, emit);
};
