import type { NativePlacement, NativeTierBytes } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import { modelPlacementSchema, type ModelPlacement } from "../../protocol/verbs/modelPlacement.js";
import type { TierBytes } from "../../protocol/verbs/tierBytes.js";

/**
 * The engine's placement in wire form: its fields copied by name (so a field the addon adds does
 * not reach the wire unannounced) and the tiers A/B/C named vram/pinned/streamed. Undefined when
 * the engine reports none (an addon older than the three tiers). An engine placement that does
 * not fit the protocol is NT_E_INTERNAL naming the field: better one warning at load than every
 * `status` refused by strict clients.
 */
export function placementOf(native: NativePlacement | undefined): ModelPlacement | undefined {
  if (native === undefined) return undefined;
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
  };
  const parsed = modelPlacementSchema.safeParse(wire);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new NtError("NT_E_INTERNAL",
    `the engine's placement does not fit the protocol: ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}`);
}

function tiersOf(tiers: NativeTierBytes | undefined): TierBytes {
  return { vram: tiers?.a as number, pinned: tiers?.b as number, streamed: tiers?.c as number };
}
