import type { NativeDualPath, NativePlacement, NativeStageStats, NativeTierBytes } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import type { ModelInfo } from "../../protocol/verbs/modelInfo.js";
import { modelPlacementSchema, type DualPath, type ModelPlacement } from "../../protocol/verbs/modelPlacement.js";
import type { ModelStatus } from "../../protocol/verbs/modelStatus.js";
import { streamStagesSchema, type StreamStages } from "../../protocol/verbs/streamStages.js";
import type { TierBytes } from "../../protocol/verbs/tierBytes.js";
import { chatFormatOf } from "../chat/chatFormatOf.js";
import { wireTimings } from "../generation/runGeneration.js";
import type { LoadedModel } from "./LoadedModel.js";
import type { ModelEntry } from "./ModelEntry.js";

// A model in wire form: what the engine and the registry know about it, copied field by field
// (so a field the addon adds does not reach the wire unannounced) into the protocol's shapes.

/** A loaded model's facts in wire form: the protocol's fields, copied by name, and its chat format. */
export function modelInfoOf(model: LoadedModel): ModelInfo {
  const i = model.info;
  let chatFormat: string | undefined;
  try {
    chatFormat = chatFormatOf(model.name, i.chatTemplate, model.chatTemplate);
  } catch {
    // A template ntd cannot apply: no chat format (chat says why).
  }
  return {
    architecture: i.architecture, nVocab: i.nVocab, nCtx: i.nCtx, nCtxTrain: i.nCtxTrain, nEmbd: i.nEmbd,
    nLayer: i.nLayer, nHead: i.nHead, nHeadKv: i.nHeadKv, nFf: i.nFf, threads: i.threads,
    weightBytes: i.weightBytes, kvBytesPerSequence: i.kvBytesPerSequence, bos: i.bos, eos: i.eos,
    chatFormat,
    backend: model.backend,
    placement: model.placement,
  };
}

/** A registry entry as `status` lists it. */
export function modelStatusOf(entry: ModelEntry): ModelStatus {
  const { model } = entry;
  const status: ModelStatus = { name: entry.name, path: entry.path, state: entry.state, storage: entry.request.storage, active: 0, queued: 0 };
  if (entry.state === "loading") status.progress = { ...entry.progress };
  if (entry.state === "failed" && entry.error) status.error = entry.error.toWire();
  if (model) {
    const { active, queued, stages } = model.stats();
    Object.assign(status, { active, queued });
    status.architecture = model.info.architecture;
    status.nCtx = model.info.nCtx;
    status.weightBytes = model.info.weightBytes;
    if (model.lastTimings) status.lastTimings = wireTimings(model.lastTimings);
    status.backend = model.backend;
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

/**
 * The engine's placement in wire form: its fields copied by name (so a field the addon adds does
 * not reach the wire unannounced) and the tiers A/B/C named vram/pinned/streamed. An engine
 * placement that does not fit the protocol is NT_E_INTERNAL naming the field: better one warning
 * at load than every `status` refused by strict clients.
 */
export function placementOf(native: NativePlacement): ModelPlacement {
  const wire = {
    bytes: tiersOf(native.totals),
    bytesPerPass: native.streamedBytes,
    hostOnlyBytes: native.hostOnlyBytes,
    budgets: { vram: native.vramBudget, pinned: native.pinnedBudget },
    used: { vram: native.vramUsed, pinned: native.pinnedUsed },
    kvBytes: native.kvBytes,
    activationBytes: native.activationBytes,
    stagingBytes: native.stagingBytes,
    stagingSlots: native.stagingSlots,
    directIo: native.directIo,
    links: { vramGBps: native.links?.vramGBps, h2dGBps: native.links?.h2dGBps, storageGBps: native.links?.storageGBps },
    passMs: native.passMs,
    boundTokensPerSecond: native.boundTokS,
    rows: (native.rows ?? []).map((row) => ({ name: row.name, layer: row.layer, bytes: tiersOf(row.bytes), ms: row.ms })),
    text: native.text,
    ...(native.dualPath ? { dualPath: dualPathOf(native.dualPath) } : {}),
  };
  const parsed = modelPlacementSchema.safeParse(wire);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new NtError("NT_E_INTERNAL",
    `the engine's placement does not fit the protocol: ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}`);
}

/** The engine's dual path, copied field by field like the rest of the placement. */
function dualPathOf(d: NativeDualPath): DualPath {
  const c = d.calibration;
  return {
    mode: d.mode, layers: d.layers, cpuBytes: d.cpuBytes, switches: d.switches, batch: d.batch,
    calibration: {
      cpuGBps: c?.cpuGBps, cpuBatchGBps: c?.cpuBatchGBps, cpuBatch: c?.cpuBatch,
      h2dTogetherGBps: c?.h2dTogetherGBps, cpuTogetherGBps: c?.cpuTogetherGBps,
    } as DualPath["calibration"],
    dualBoundGBps: d.dualBoundGBps, predictedPassMs: d.predictedPassMs, streamingPassMs: d.streamingPassMs,
    ...(d.splitMaxTokens !== undefined ? { splitMaxTokens: d.splitMaxTokens } : {}),
  };
}

function tiersOf(tiers: NativeTierBytes | undefined): TierBytes {
  return { vram: tiers?.a as number, pinned: tiers?.b as number, streamed: tiers?.c as number };
}

/**
 * The engine's cumulative stage timers in wire form, with per-pass averages once a pass has run.
 * Undefined when there are none (a disposed model) or the engine reports something the protocol
 * cannot carry (status is polled, so this is left out quietly rather than failing every status).
 */
export function streamStagesOf(native: NativeStageStats | undefined): StreamStages | undefined {
  if (native === undefined) return undefined;
  const { passes, bytesRead, bytesCopied, readMs, h2dMs, computeMs, stallMs, splitPasses, tierCPath, tierCFallback } = native;
  const stages: StreamStages = { passes, bytesRead, bytesCopied, readMs, h2dMs, computeMs, stallMs };
  if (splitPasses !== undefined) stages.splitPasses = splitPasses;
  if (tierCPath !== undefined) stages.tierCPath = tierCPath;
  if (tierCFallback !== undefined) stages.tierCFallback = tierCFallback;
  if (passes > 0) {
    stages.perPass = { readMs: readMs / passes, h2dMs: h2dMs / passes, computeMs: computeMs / passes, stallMs: stallMs / passes };
  }
  const parsed = streamStagesSchema.safeParse(stages);
  return parsed.success ? parsed.data : undefined;
}
