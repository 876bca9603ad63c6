import type { ModelPlacement } from "../../protocol/verbs/modelPlacement.js";
import { formatBytes } from "../format.js";
import { formatPlacementRows } from "./formatPlacementRows.js";

/**
 * A model's placement for people: the engine's own table when it sends one (it already states
 * memory, links, pass time and bound beside the rows), else the same facts built here: where the
 * weights live against the budgets, the links and the decode bound they give (DESIGN §3), then
 * the per-layer table.
 */
export function formatPlacement(placement: ModelPlacement): string {
  if (placement.text.trim() !== "") return placement.text.trimEnd();
  const { bytes, budgets, used, links } = placement;
  const summary = [
    `weights: ${formatBytes(bytes.vram)} in VRAM, ${formatBytes(bytes.pinned)} pinned, ${formatBytes(bytes.streamed)} streamed`
      + `${placement.hostOnlyBytes > 0 ? `, ${formatBytes(placement.hostOnlyBytes)} host-only` : ""}`,
    `memory: VRAM ${formatBytes(used.vram)} of ${formatBytes(budgets.vram)} (KV ${formatBytes(placement.kvBytes)}, `
      + `activations ${formatBytes(placement.activationBytes)}), pinned ${formatBytes(used.pinned)} of ${formatBytes(budgets.pinned)} `
      + `(staging ${placement.stagingSlots} × ${formatBytes(placement.stagingBytes / Math.max(1, placement.stagingSlots))})`,
    `links: VRAM ${gbps(links.vramGBps)}, H2D ${gbps(links.h2dGBps)}, storage ${gbps(links.storageGBps)}`
      + `${placement.directIo ? " (O_DIRECT)" : " (buffered)"}`,
    `bound: ${formatBytes(placement.bytesPerPass)} moved per pass, ${placement.passMs.toFixed(2)} ms per pass, `
      + `≤ ${placement.boundTokensPerSecond.toFixed(2)} tok/s for one sequence`,
  ];
  return [...summary, formatPlacementRows(placement.rows)].join("\n");
}

function gbps(rate: number): string {
  return `${rate.toFixed(1)} GB/s`;
}
