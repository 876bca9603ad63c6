// Budgets that force stories260K's streamed blocks into tier C for the guest's ntd loads
// (guestNtdVfioLoad.ts, GuestNtdStream.ts): read off a resident load in the proof's own process.
import { loadEngine } from "../../cuda-engine/js/loadEngine.js";
import { forcedBudgets } from "../support/forcedBudgets.js";

/** The engine options every guest load uses: the CPU backend, TCG's two vCPUs' worth of threads. */
export const GUEST_LOAD = { backend: "cpu", threads: 2, nCtx: 128 } as const;

/**
 * Budgets that keep everything resident: the CPU backend's default leaves the "device" what
 * 1 GiB and the pinned share leave of the host's memory, nothing in a 1 GiB guest.
 */
export const GUEST_RESIDENT = { vramBudget: 64 << 20, pinnedBudget: 64 << 20 } as const;

/** Budgets that put the streamed blocks of `gguf` in tier C. */
export async function allInTierC(gguf: string): Promise<{ vramBudget: number; pinnedBudget: number }> {
  const resident = await loadEngine().loadModel(gguf, { ...GUEST_LOAD, ...GUEST_RESIDENT });
  try {
    return forcedBudgets(resident.info().placement, "all-c");
  } finally {
    await resident.dispose();
  }
}
