import type { PlacementRow } from "../../protocol/verbs/modelPlacement.js";
import { formatBytes, formatColumns } from "../format.js";

/**
 * A placement table built from its rows, for an engine that sends no text of its own: per layer
 * (or tensor) its tier, its bytes in each tier and the expected ms per pass.
 */
export function formatPlacementRows(rows: readonly PlacementRow[]): string {
  const header = ["LAYER", "TIER", "VRAM", "PINNED", "STREAMED", "MS/PASS"];
  const cells = rows.map((row) => [
    row.name,
    tierOf(row),
    bytesOrDash(row.bytes.vram),
    bytesOrDash(row.bytes.pinned),
    bytesOrDash(row.bytes.streamed),
    row.ms.toFixed(2),
  ]);
  return formatColumns(header, cells, ["left", "left", "right", "right", "right", "right"]);
}

/** The tier holding the row, or "split" when its bytes are in more than one. */
function tierOf(row: PlacementRow): string {
  const tiers = (["vram", "pinned", "streamed"] as const).filter((tier) => row.bytes[tier] > 0);
  if (tiers.length > 1) return "split";
  return tiers[0] ?? "-";
}

function bytesOrDash(bytes: number): string {
  return bytes === 0 ? "-" : formatBytes(bytes);
}
