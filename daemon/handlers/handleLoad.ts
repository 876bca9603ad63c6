import { modelInfoOf } from "../models/modelInfoOf.js";
import { percentProgress } from "./percentProgress.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `load`: loads a model with the options asked for (or finds it loaded, taking the keep-alive
 * given), sending a progress event each time another whole percent of its weights has been read.
 * The request's options go to the registry as they came.
 */
export const handleLoad: VerbHandler<"load"> = async ({ model: reference, ...options }, context, signal, emit) => {
  const model = await context.models.load(reference, { ...options, signal, onProgress: percentProgress(emit) });
  return { name: model.name, path: model.path, info: modelInfoOf(model) };
};
