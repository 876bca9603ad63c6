import type { NativePlacement } from "../../cuda-engine/js/EngineBinding.js";

/** Which tiers a test wants the streamed part of a model in. */
export type TierMix = "all-b" | "all-c" | "mixed";

/**
 * Budgets that make the planner stream, read off a resident load's placement: "VRAM" for the KV
 * cache, the activations and a ring of slots only, and pinned RAM for everything (all-b), for the
 * staging ring alone (all-c), or for the ring and one block (mixed). The model needs more blocks
 * than slots. The planner still chooses: where blocks differ in size (q4_k_m mixes Q4_K and Q6_K),
 * a ring sized for the largest block can leave room to keep a smaller one in pinned RAM, which
 * beats reading it, so "all-c" means "tier C holds most of what streams".
 */
export function forcedBudgets(resident: NativePlacement, mix: TierMix, slots = 3): { vramBudget: number; pinnedBudget: number } {
  const rowBytes = resident.rows.map((r) => r.bytes.a + r.bytes.b + r.bytes.c);
  const largest = Math.max(...rowBytes);
  const layer = Math.max(...resident.rows.filter((r) => r.layer >= 0).map((r) => r.bytes.a + r.bytes.b + r.bytes.c));
  const ring = slots * (largest + resident.slotSlackBytes);
  const vramBudget = resident.kvBytes + resident.activationBytes + ring;
  const pinned = { "all-b": 1 << 30, "all-c": resident.hostOnlyBytes + ring, mixed: resident.hostOnlyBytes + ring + layer };
  return { vramBudget, pinnedBudget: pinned[mix] };
}
