import type { VerbHandler } from "./VerbHandler.js";

/** `detokenize`: token ids → text; ids outside the vocabulary are refused. */
export const handleDetokenize: VerbHandler<"detokenize"> = async (params, context, signal) => {
  const model = await context.models.get(params.model, signal);
  return { text: model.detokenize(params.tokens) };
};
