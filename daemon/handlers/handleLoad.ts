import { modelInfoOf } from "../models/modelInfoOf.js";
import type { VerbHandler } from "./VerbHandler.js";

/**
 * `load`: loads a model (or finds it loaded), sending a progress event each time another whole
 * percent of its weights has been read, so a large model does not flood the socket.
 */
export const handleLoad: VerbHandler<"load"> = async (params, context, signal, emit) => {
  let shownPercent = -1;
  const model = await context.models.load(params.model, {
    name: params.name,
    nCtx: params.nCtx,
    threads: params.threads,
    signal,
    onProgress: (done, total) => {
      const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
      if (percent === shownPercent) return;
      shownPercent = percent;
      emit({ type: "progress", done, total });
    },
  });
  return { name: model.name, path: model.path, info: modelInfoOf(model) };
};
