import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import type { TierBytes } from "../../protocol/verbs/tierBytes.js";
import { formatBytes, formatColumns } from "../format.js";
import { formatModelState } from "./formatModelState.js";
import { formatUntil } from "./formatUntil.js";

/**
 * The models as `ntctl ps` prints them, one row each, like `ollama ps`: MODEL, STATE, BACKEND,
 * weights per tier (VRAM resident, PINNED copied from pinned RAM each pass, STREAMED read from
 * storage each pass), CONTEXT, ACTIVE, QUEUED, TG t/s (generation speed of the last request) and
 * UNTIL (when the keep-alive unloads it). "-" where the daemon does not say (not loaded, or an
 * engine that reports no placement). `now` is Date.now() ms.
 */
export function formatModelTable(models: readonly ModelStatus[], now: number): string {
  const header = ["MODEL", "STATE", "BACKEND", "VRAM", "PINNED", "STREAMED", "CONTEXT", "ACTIVE", "QUEUED", "TG t/s", "UNTIL"];
  const rows = models.map((m) => [
    m.name,
    formatModelState(m),
    m.backend ?? "-",
    tierBytes(m, "vram"),
    tierBytes(m, "pinned"),
    tierBytes(m, "streamed"),
    m.nCtx === undefined ? "-" : String(m.nCtx),
    String(m.active),
    String(m.queued),
    m.lastTimings ? m.lastTimings.predicted_per_second.toFixed(2) : "-",
    formatUntil(m, now),
  ]);
  const right = "right" as const;
  return formatColumns(header, rows, ["left", "left", "left", right, right, right, right, right, right, right, "left"]);
}

function tierBytes(model: ModelStatus, tier: keyof TierBytes): string {
  return model.placement ? formatBytes(model.placement.bytes[tier]) : "-";
}
