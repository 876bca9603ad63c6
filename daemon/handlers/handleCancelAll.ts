import type { VerbHandler } from "./VerbHandler.js";

/** `cancelAll`: cancels every generation in flight on one model, from every client; the model stays loaded. */
export const handleCancelAll: VerbHandler<"cancelAll"> = (params, context) => context.models.cancelAll(params.model);
