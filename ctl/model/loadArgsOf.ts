import type { LoadArgs } from "./LoadArgs.js";

/**
 * The parsed load options that shape a load: everything in LoadArgs but the keep-alive, which
 * `run` and `chat` send with each generation instead (so "--keep-alive 0" does not unload the
 * model between the load and the generation).
 */
export function loadArgsOf(argv: LoadArgs): Omit<LoadArgs, "keepAlive"> {
  const { ctxSize, threads, backend, vramBudget, pinnedBudget, stagingSlots } = argv;
  return { ctxSize, threads, backend, vramBudget, pinnedBudget, stagingSlots };
}
