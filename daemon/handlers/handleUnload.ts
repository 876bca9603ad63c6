import type { VerbHandler } from "./VerbHandler.js";

/** `unload`: frees a model once its requests in flight have been cancelled. */
export const handleUnload: VerbHandler<"unload"> = async (params, context) =>
  ({ name: await context.models.unload(params.model) });
