import { z } from "zod";

// The engine as the protocol reports it. These mirror cuda-engine/js/EngineBinding.ts (which
// protocol/ may not import); the daemon copies the named fields across, so a field the addon
// adds does not reach the wire until it is added here.

/** How the engine addon was built. */
export const engineBuildInfoSchema = z.strictObject({
  /** The engine's version string. */
  version: z.string(),
  /** Whether the CUDA backend was compiled in. */
  cuda: z.boolean(),
  /** CUDA architectures compiled for, e.g. "80;86;89;90"; empty without CUDA. */
  cudaArchitectures: z.string(),
  /** The CPU SIMD level the CPU backend was compiled for, e.g. "avx2". */
  simd: z.string(),
});

/** CUDA availability at the time of the query. */
export const cudaAvailabilitySchema = z.strictObject({
  /** Whether the addon was compiled with the CUDA backend. */
  built: z.boolean(),
  /** Whether at least one CUDA device is usable now. */
  available: z.boolean(),
  /** Why CUDA is unavailable; absent when available. */
  reason: z.string().optional(),
  /** cudart version the addon was built with, e.g. "13.0"; absent when not built. */
  runtimeVersion: z.string().optional(),
  /** Installed driver version, e.g. "13.0"; absent when no driver is loaded. */
  driverVersion: z.string().optional(),
});

/** One compute device. */
export const engineDeviceSchema = z.strictObject({
  backend: z.enum(["cpu", "cuda"]),
  /** Index within its backend (CUDA ordinal; 0 for the CPU). */
  index: z.int().nonnegative(),
  name: z.string(),
  /** Device memory (CUDA) or physical RAM (CPU), in bytes. */
  totalBytes: z.number().nonnegative(),
  /** Free memory at the time of the query, in bytes. */
  freeBytes: z.number().nonnegative(),
  /** "major.minor"; absent for the CPU. */
  computeCapability: z.string().optional(),
  /** Hardware threads (CPU) or streaming multiprocessors (CUDA). */
  cores: z.int().nonnegative(),
});

/** What `status` says about a loaded engine: its build and the devices it sees. */
export const engineReportSchema = z.strictObject({
  build: engineBuildInfoSchema,
  cuda: cudaAvailabilitySchema,
  devices: z.array(engineDeviceSchema),
});

export type EngineBuildInfo = z.infer<typeof engineBuildInfoSchema>;
export type CudaAvailability = z.infer<typeof cudaAvailabilitySchema>;
export type EngineDevice = z.infer<typeof engineDeviceSchema>;
export type EngineReport = z.infer<typeof engineReportSchema>;
