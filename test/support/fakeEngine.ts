import type { EngineBinding } from "../../cuda-engine/js/EngineBinding.js";

/**
 * An engine stand-in with one CPU and one CUDA device, so the daemon's engine reporting is
 * tested whether or not the native addon is built. `extraField` checks that the daemon copies
 * only the protocol's fields to the wire.
 */
export function fakeEngine(): EngineBinding {
  return {
    devices: () => ({
      cuda: { built: true, available: true, runtimeVersion: "13.0", driverVersion: "13.0" },
      devices: [
        { backend: "cpu", index: 0, name: "Test CPU", totalBytes: 64 * 2 ** 30, freeBytes: 32 * 2 ** 30, cores: 16 },
        Object.assign(
          { backend: "cuda" as const, index: 0, name: "Test GPU", totalBytes: 80 * 2 ** 30, freeBytes: 79 * 2 ** 30,
            computeCapability: "9.0", cores: 132 },
          { extraField: "not on the wire" }),
      ],
    }),
    buildInfo: () => ({ version: "9.9.9", cuda: true, cudaArchitectures: "80;90", simd: "avx2" }),
    readGguf: () => Promise.reject(new Error("not used")),
  };
}
