import type { LoadOptions } from "../../protocol/verbs/loadOptions.js";
import type { LoadArgs } from "./LoadArgs.js";

/**
 * The protocol's load options from the parsed flags: the one place ntctl's flag names meet the
 * wire's. The keep-alive is not among them: `run` and `chat` send it with each generation instead
 * (so "--keep-alive 0" does not unload the model between the load and the generation).
 */
export function loadArgsOf(argv: LoadArgs): LoadOptions {
  const { ctxSize, threads, backend, vramBudget, pinnedBudget, stagingSlots } = argv;
  return { nCtx: ctxSize, threads, backend, vramBudget, pinnedBudget, stagingSlots };
}
