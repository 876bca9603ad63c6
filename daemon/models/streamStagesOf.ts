import type { NativeStageStats } from "../../cuda-engine/js/EngineBinding.js";
import { streamStagesSchema, type StreamStages } from "../../protocol/verbs/streamStages.js";

/**
 * The engine's cumulative stage timers in wire form, with per-pass averages once a pass has run.
 * Undefined when the engine reports none (an older addon) or reports something the protocol
 * cannot carry (status is polled, so this is left out quietly rather than failing every status).
 */
export function streamStagesOf(native: NativeStageStats | undefined): StreamStages | undefined {
  if (native === undefined) return undefined;
  const { passes, bytesRead, bytesCopied, readMs, h2dMs, computeMs, stallMs } = native;
  const stages: StreamStages = { passes, bytesRead, bytesCopied, readMs, h2dMs, computeMs, stallMs };
  if (passes > 0) {
    stages.perPass = { readMs: readMs / passes, h2dMs: h2dMs / passes, computeMs: computeMs / passes, stallMs: stallMs / passes };
  }
  const parsed = streamStagesSchema.safeParse(stages);
  return parsed.success ? parsed.data : undefined;
}
