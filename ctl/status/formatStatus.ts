import type { EngineDevice, EngineReport } from "../../protocol/verbs/engineInfo.js";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import type { VerbResult } from "../../protocol/verbs.js";
import { formatBytes, formatDuration } from "../format.js";
import { formatModelState } from "./formatModelState.js";
import { formatPlacement } from "./formatPlacement.js";
import { formatStages } from "./formatStages.js";
import { formatUntil } from "./formatUntil.js";

/**
 * The human form of `ntctl status`: "label  value" lines, one per model and per device; under
 * each loaded model its placement (with the per-layer table) and its streaming stages, indented.
 */
export function formatStatus(status: VerbResult<"status">): string {
  const { engine } = status;
  const lines: [string, string][] = [
    ["daemon", `ntd ${status.version}, pid ${status.pid}, ${status.state}, up ${formatDuration(status.uptimeSeconds)}`],
    ["socket", status.socket],
    ...(status.models.length === 0
      ? [["models", "none loaded"] as [string, string]]
      : status.models.flatMap(modelLines)),
    ...("error" in engine
      ? [["engine", `unavailable: ${engine.error.message} [${engine.error.code}]`] as [string, string]]
      : engineLines(engine)),
  ];
  return lines.map(([label, value]) => `${label.padEnd(LABEL_WIDTH)}${value}`).join("\n");
}

const LABEL_WIDTH = 8;

/** A model's line, then its placement and stages (multi-line values are indented under the label). */
function modelLines(m: ModelStatus): [string, string][] {
  const lines: [string, string][] = [["model", describeModel(m)]];
  if (m.placement) lines.push(["", indentBody(formatPlacement(m.placement))]);
  if (m.stages) lines.push(["stages", formatStages(m.stages)]);
  return lines;
}

/** Indents every line after the first to the value column, so a block lines up under its label. */
function indentBody(text: string): string {
  return text.split("\n").join(`\n${" ".repeat(LABEL_WIDTH)}`);
}

function engineLines(engine: EngineReport): [string, string][] {
  const { build, cuda, devices } = engine;
  const backends = build.cuda ? `CUDA (${build.cudaArchitectures}) + CPU (${build.simd})` : `CPU (${build.simd})`;
  const versions = [
    cuda.driverVersion && `driver ${cuda.driverVersion}`,
    cuda.runtimeVersion && `runtime ${cuda.runtimeVersion}`,
  ].filter(Boolean).join(", ");
  const cudaState = cuda.available
    ? `available${versions ? ` (${versions})` : ""}`
    : `unavailable: ${cuda.reason ?? "no reason given"}`;
  return [
    ["engine", `${build.version}, built for ${backends}`],
    ["cuda", cudaState],
    ...devices.map((d): [string, string] => ["device", describeDevice(d)]),
  ];
}

function describeModel(m: ModelStatus): string {
  if (m.state === "failed") return `${m.name} ${formatModelState(m)}: ${m.error?.message ?? "no message"} (${m.path})`;
  const until = formatUntil(m, Date.now());
  const facts = [
    m.architecture,
    m.backend,
    m.nCtx !== undefined ? `context ${m.nCtx}` : undefined,
    m.weightBytes !== undefined ? `${formatBytes(m.weightBytes)} of weights` : undefined,
    `${m.active} active, ${m.queued} queued`,
    m.state === "loaded" ? `unloaded ${until === "forever" ? "never" : until}` : undefined,
  ].filter(Boolean).join(", ");
  return `${m.name} ${formatModelState(m)}: ${facts} (${m.path})`;
}

function describeDevice(d: EngineDevice): string {
  const memory = `${formatBytes(d.totalBytes)} (${formatBytes(d.freeBytes)} free)`;
  const compute = d.backend === "cuda" ? `compute ${d.computeCapability ?? "?"}, ${d.cores} SMs` : `${d.cores} threads`;
  return `${d.backend}:${d.index} ${d.name}, ${memory}, ${compute}`;
}
