import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";

/** A model's state in a word or two: "loaded", "loading 43%", "failed (NT_E_UNSUPPORTED)". */
export function formatModelState(model: ModelStatus): string {
  if (model.state === "loading" && model.progress && model.progress.total > 0) {
    return `loading ${Math.floor((100 * model.progress.done) / model.progress.total)}%`;
  }
  if (model.state === "failed") return `failed (${model.error?.code ?? "no code"})`;
  return model.state;
}
