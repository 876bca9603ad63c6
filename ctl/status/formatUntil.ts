import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { formatDuration } from "../format.js";

/**
 * When a model's keep-alive unloads it, as `ollama ps` says it: "in 4m 59s", "forever", or why no
 * timer runs ("after its requests" while busy; "-" unless loaded). `now` is Date.now() ms.
 */
export function formatUntil(model: ModelStatus, now: number): string {
  if (model.state !== "loaded") return "-";
  if (model.expiresAt === null) return "forever";
  if (model.expiresAt === undefined) return "after its requests";
  const seconds = Math.max(0, (model.expiresAt - now) / 1000);
  return seconds < 1 ? "now" : `in ${formatDuration(seconds)}`;
}
