import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { formatBytes } from "../format/formatBytes.js";
import { formatColumns } from "../format/formatColumns.js";
import { formatModelState } from "./formatModelState.js";
import { formatUntil } from "./formatUntil.js";

/**
 * The models as `ntctl ps` prints them, one row each, like `ollama ps`: MODEL, STATE, SIZE
 * (weights in memory), CONTEXT, ACTIVE, QUEUED, TG t/s (generation speed of the last request)
 * and UNTIL (when the keep-alive unloads it). `now` is Date.now() ms.
 */
export function formatModelTable(models: readonly ModelStatus[], now: number): string {
  const header = ["MODEL", "STATE", "SIZE", "CONTEXT", "ACTIVE", "QUEUED", "TG t/s", "UNTIL"];
  const rows = models.map((m) => [
    m.name,
    formatModelState(m),
    m.weightBytes === undefined ? "-" : formatBytes(m.weightBytes),
    m.nCtx === undefined ? "-" : String(m.nCtx),
    String(m.active),
    String(m.queued),
    m.lastTimings ? m.lastTimings.predicted_per_second.toFixed(2) : "-",
    formatUntil(m, now),
  ]);
  return formatColumns(header, rows, ["left", "left", "right", "right", "right", "right", "right", "left"]);
}
