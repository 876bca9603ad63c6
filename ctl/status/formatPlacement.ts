import type { ModelPlacement } from "../../protocol/verbs/modelPlacement.js";

/**
 * A model's placement for people: the engine's own table, which already states memory, links,
 * pass time and bound beside the per-layer rows (ntctl builds no table of its own: the engine
 * always sends one, and a second renderer would drift from it).
 */
export function formatPlacement(placement: ModelPlacement): string {
  return placement.text.trimEnd();
}
