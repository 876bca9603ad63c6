import type { VerbHandler } from "./VerbHandler.js";

/** `tokenize`: text → token ids; BOS added by default, special-token texts left as text by default. */
export const handleTokenize: VerbHandler<"tokenize"> = async (params, context, signal) => {
  const model = await context.models.get(params.model, signal);
  return { tokens: model.tokenize(params.text, params.addSpecial ?? true, params.parseSpecial ?? false) };
};
