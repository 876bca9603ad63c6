import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";

/**
 * The one line systemd shows for ntd (`systemctl status ntd`, "Status:"), from the models' states:
 * "loading llama-70b 43 %" while a load runs (the first, and how many more), otherwise
 * "ready: 1 model, 2 active" (and "3 queued" when requests wait).
 */
export function serviceStatusText(models: readonly ModelStatus[]): string {
  const loading = models.filter((model) => model.state === "loading");
  const first = loading[0];
  if (first) {
    const { done = 0, total = 0 } = first.progress ?? {};
    const percent = total > 0 ? ` ${Math.floor((100 * done) / total)} %` : "";
    return `loading ${first.name}${percent}${loading.length > 1 ? ` (+${loading.length - 1} more)` : ""}`;
  }
  const loaded = models.filter((model) => model.state === "loaded");
  const active = models.reduce((sum, model) => sum + model.active, 0);
  const queued = models.reduce((sum, model) => sum + model.queued, 0);
  const failed = models.filter((model) => model.state === "failed").length;
  return `ready: ${loaded.length} model${loaded.length === 1 ? "" : "s"}, ${active} active`
    + (queued > 0 ? `, ${queued} queued` : "") + (failed > 0 ? `, ${failed} failed` : "");
}
