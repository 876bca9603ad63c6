// The daemon's state for people: `ntctl status` (formatStatus) and `ntctl ps` (formatModelTable).
import type { EngineDevice, EngineReport } from "../../protocol/verbs/engineInfo.js";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import type { StreamStages } from "../../protocol/verbs/streamStages.js";
import type { TierBytes } from "../../protocol/verbs/tierBytes.js";
import type { VerbResult } from "../../protocol/verbs.js";
import { formatBytes, formatColumns, formatDuration } from "../format.js";
import { formatPlacement } from "./formatPlacement.js";
import { countOf } from "../../protocol/countOf.js";

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
    // The file backend is the default: only the image backends are named.
    m.storage !== undefined && m.storage !== "file" ? `storage ${m.storage}` : undefined,
    m.nCtx !== undefined ? `context ${m.nCtx}` : undefined,
    m.weightBytes !== undefined ? `${formatBytes(m.weightBytes)} of weights` : undefined,
    `${m.active} active, ${m.queued} queued`,
    m.state === "loaded" ? `unloaded ${until === "forever" ? "never" : until}` : undefined,
  ].filter(Boolean).join(", ");
  return `${m.name} ${formatModelState(m)}: ${facts} (${m.path})`;
}

function describeDevice(d: EngineDevice): string {
  const memory = `${formatBytes(d.totalBytes)} (${formatBytes(d.freeBytes)} free)`;
  const compute = d.backend === "cuda" ? `compute ${d.computeCapability ?? "?"}, ${d.cores} SMs` : countOf(d.cores, "thread");
  return `${d.backend}:${d.index} ${d.name}, ${memory}, ${compute}`;
}

/**
 * The streaming stages in one line: passes, time per pass in each stage (the stages overlap; a
 * large stall means the link, not compute, sets the speed), and the bytes moved since the load.
 */
export function formatStages(stages: StreamStages): string {
  const moved = `${formatBytes(stages.bytesRead)} read, ${formatBytes(stages.bytesCopied)} copied${tierCPathOf(stages)}`;
  const passes = `${countOf(stages.passes, "pass", "passes")}${passesPerLayout(stages)}`;
  if (!stages.perPass) return `${passes}, ${moved}`;
  const { readMs, h2dMs, computeMs, stallMs } = stages.perPass;
  return `${passes}; per pass: read ${ms(readMs)}, h2d ${ms(h2dMs)}, compute ${ms(computeMs)}, `
    + `stall ${ms(stallMs)}; ${moved}`;
}

/** On the dual path, which layout the passes took: " (3 split, 2 streaming)"; else nothing. */
function passesPerLayout(stages: StreamStages): string {
  if (stages.splitPasses === undefined) return "";
  return ` (${stages.splitPasses} split, ${stages.passes - stages.splitPasses} streaming)`;
}

/** How tier C reached the device: " (zero-copy from the data plane's slots)", the fallback's reason, or nothing. */
function tierCPathOf(stages: StreamStages): string {
  if (stages.tierCPath === "reader-buffers") return " (tier C zero-copy from the data plane's slots)";
  if (stages.tierCFallback !== undefined) return ` (tier C staged: ${stages.tierCFallback})`;
  return "";
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/**
 * The models as `ntctl ps` prints them, one row each, like `ollama ps`: MODEL, STATE, BACKEND,
 * weights per tier (VRAM resident, PINNED copied from pinned RAM each pass, STREAMED read from
 * storage each pass), CONTEXT, ACTIVE, QUEUED, TG t/s (generation speed of the last request) and
 * UNTIL (when the keep-alive unloads it). "-" where the daemon does not say (not loaded yet, or a
 * placement the protocol could not carry). `now` is Date.now() ms.
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

/** A model's state in a word or two: "loaded", "loading 43%", "failed (NT_E_UNSUPPORTED)". */
function formatModelState(model: ModelStatus): string {
  if (model.state === "loading" && model.progress && model.progress.total > 0) {
    return `loading ${Math.floor((100 * model.progress.done) / model.progress.total)}%`;
  }
  if (model.state === "failed") return `failed (${model.error?.code ?? "no code"})`;
  return model.state;
}

/**
 * When a model's keep-alive unloads it, as `ollama ps` says it: "in 4m 59s", "forever", or why no
 * timer runs ("after its requests" while busy; "-" unless loaded). `now` is Date.now() ms.
 */
function formatUntil(model: ModelStatus, now: number): string {
  if (model.state !== "loaded") return "-";
  if (model.expiresAt === null) return "forever";
  if (model.expiresAt === undefined) return "after its requests";
  const seconds = Math.max(0, (model.expiresAt - now) / 1000);
  return seconds < 1 ? "now" : `in ${formatDuration(seconds)}`;
}
