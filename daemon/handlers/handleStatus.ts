import { performance } from "node:perf_hooks";
import { packageVersion } from "../../protocol/packageVersion.js";
import { engineReport } from "../engineReport.js";
import type { VerbHandler } from "./VerbHandler.js";

/** `status`: the daemon's identity and uptime, its models and the engine's devices. */
export const handleStatus: VerbHandler<"status"> = (_params, context) => ({
  state: "ready",
  pid: process.pid,
  uptimeSeconds: Math.max(0, (performance.now() - context.startedAtMs) / 1000),
  socket: context.socketPath,
  version: packageVersion(),
  models: context.models.list(),
  engine: engineReport(context.loadEngine),
});
