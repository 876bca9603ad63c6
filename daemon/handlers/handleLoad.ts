import { modelInfoOf } from "../models/modelInfoOf.js";
import { percentProgress } from "./percentProgress.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `load`: loads a model with the placement asked for (or finds it loaded, taking the keep-alive
 * given), sending a progress event each time another whole percent of its weights has been read.
 */
export const handleLoad: VerbHandler<"load"> = async (params, context, signal, emit) => {
  const model = await context.models.load(params.model, {
    storage: params.storage,
    name: params.name,
    nCtx: params.nCtx,
    threads: params.threads,
    keepAlive: params.keepAlive,
    backend: params.backend,
    vramBudget: params.vramBudget,
    pinnedBudget: params.pinnedBudget,
    stagingSlots: params.stagingSlots,
    signal,
    onProgress: percentProgress(emit),
  });
  return { name: model.name, path: model.path, info: modelInfoOf(model) };
};
