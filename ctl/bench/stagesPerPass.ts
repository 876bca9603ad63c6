import type { NativeStageStats } from "../../cuda-engine/js/EngineBinding.js";
import type { StagesPerPass } from "./BenchReport.js";

/** The stage timers between two snapshots of the model's cumulative stats, per pass (all 0 when no pass ran). */
export function stagesPerPass(before: NativeStageStats, after: NativeStageStats): StagesPerPass {
  const passes = after.passes - before.passes;
  const per = (key: Exclude<keyof NativeStageStats, "passes" | "splitPasses" | "tierCPath" | "tierCFallback">): number => (passes > 0 ? (after[key] - before[key]) / passes : 0);
  return {
    passes,
    readMs: per("readMs"), h2dMs: per("h2dMs"), computeMs: per("computeMs"), stallMs: per("stallMs"),
    bytesRead: per("bytesRead"), bytesCopied: per("bytesCopied"),
  };
}
