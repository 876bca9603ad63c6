import type { NativePlacement, NativeStageStats } from "../../cuda-engine/js/EngineBinding.js";

/**
 * A placement as the three-tier engine reports one, for a fake model of two layers plus the output
 * head: blk.0 in VRAM, blk.1 split between pinned RAM and storage, output in VRAM. Sizes in MiB
 * so that humanized columns have something to show.
 */
export function fakePlacement(): NativePlacement {
  const MiB = 2 ** 20;
  return {
    rows: [
      { name: "blk.0", layer: 0, bytes: { a: 512 * MiB, b: 0, c: 0, d: 0 }, ms: 0 },
      { name: "blk.1", layer: 1, bytes: { a: 0, b: 256 * MiB, c: 256 * MiB, d: 0 }, ms: 48.5 },
      { name: "output", layer: -1, bytes: { a: 128 * MiB, b: 0, c: 0, d: 0 }, ms: 0 },
    ],
    totals: { a: 640 * MiB, b: 256 * MiB, c: 256 * MiB, d: 0 },
    streamedBytes: 512 * MiB,
    hostOnlyBytes: 64 * MiB,
    vramBudget: 1024 * MiB,
    pinnedBudget: 512 * MiB,
    vramUsed: 900 * MiB,
    pinnedUsed: 448 * MiB,
    kvBytes: 128 * MiB,
    activationBytes: 32 * MiB,
    stagingBytes: 192 * MiB,
    stagingSlots: 3,
    slotSlackBytes: MiB,
    links: { vramGBps: 3000, h2dGBps: 25, storageGBps: 6.5 },
    passMs: 52,
    boundTokS: 19.2,
    directIo: true,
    text: "LAYER   TIER    BYTES     MS/PASS\nblk.0   vram    512 MiB   0.00\nblk.1   split   512 MiB   48.50\noutput  vram    128 MiB   0.00\n",
  };
}

/** Stage timers after `passes` passes of fakePlacement's model (per pass: read 40, h2d 20, compute 10, stall 30 ms). */
export function fakeStages(passes: number): NativeStageStats {
  const MiB = 2 ** 20;
  return {
    passes, bytesRead: passes * 256 * MiB, bytesCopied: passes * 512 * MiB,
    readMs: passes * 40, h2dMs: passes * 20, computeMs: passes * 10, stallMs: passes * 30,
  };
}

/**
 * fakePlacement with the dual path as the engine reports it for a load with dualPath "on": blk.1
 * computed by the CPU (tier D), its calibration and prediction.
 */
export function fakeDualPlacement(): NativePlacement {
  const MiB = 2 ** 20;
  const base = fakePlacement();
  return {
    ...base,
    totals: { a: 640 * MiB, b: 0, c: 0, d: 512 * MiB },
    streamedBytes: 0,
    text: base.text + "dual path on: layers GC (C: tier D on the CPU), 2 switches, batch 4\n",
    dualPath: {
      mode: "on", layers: "GC", cpuBytes: 512 * MiB, switches: 2, batch: 4,
      calibration: { cpuGBps: 75, cpuBatchGBps: 12, cpuBatch: 8, h2dTogetherGBps: 50, cpuTogetherGBps: 57 },
      dualBoundGBps: 107, predictedPassMs: 9.5, streamingPassMs: 21.5,
    },
  };
}
