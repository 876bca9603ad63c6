import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { wireTimings } from "../generation/runGeneration.js";
import type { ModelEntry } from "./ModelEntry.js";
import { streamStagesOf } from "./streamStagesOf.js";

/** A registry entry as `status` lists it. */
export function modelStatusOf(entry: ModelEntry): ModelStatus {
  const { model } = entry;
  const status: ModelStatus = { name: entry.name, path: entry.path, state: entry.state, active: 0, queued: 0 };
  if (entry.state === "loading") status.progress = { ...entry.progress };
  if (entry.state === "failed" && entry.error) status.error = entry.error.toWire();
  if (model) {
    const { active, queued, stages } = model.stats();
    Object.assign(status, { active, queued });
    status.architecture = model.info.architecture;
    status.nCtx = model.info.nCtx;
    status.weightBytes = model.info.weightBytes;
    if (model.lastTimings) status.lastTimings = wireTimings(model.lastTimings);
    if (model.backend) status.backend = model.backend;
    if (model.placement) status.placement = model.placement;
    const wireStages = streamStagesOf(stages);
    if (wireStages) status.stages = wireStages;
  }
  if (entry.state === "loaded") {
    status.keepAliveSeconds = entry.keepAliveMs === Infinity ? -1 : entry.keepAliveMs / 1000;
    if (entry.expiresAt !== undefined) status.expiresAt = entry.expiresAt;
  }
  return status;
}
