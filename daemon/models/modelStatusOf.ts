import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { wireTimings } from "../generation/wireTimings.js";
import type { ModelEntry } from "./ModelEntry.js";

/** A registry entry as `status` lists it. */
export function modelStatusOf(entry: ModelEntry): ModelStatus {
  const { model } = entry;
  const status: ModelStatus = { name: entry.name, path: entry.path, state: entry.state, active: 0, queued: 0 };
  if (entry.state === "loading") status.progress = { ...entry.progress };
  if (entry.state === "failed" && entry.error) status.error = entry.error.toWire();
  if (model) {
    Object.assign(status, model.stats());
    status.architecture = model.info.architecture;
    status.nCtx = model.info.nCtx;
    status.weightBytes = model.info.weightBytes;
    if (model.lastTimings) status.lastTimings = wireTimings(model.lastTimings);
  }
  if (entry.state === "loaded") {
    status.keepAliveSeconds = entry.keepAliveMs === Infinity ? -1 : entry.keepAliveMs / 1000;
    if (entry.expiresAt !== undefined) status.expiresAt = entry.expiresAt;
  }
  return status;
}
