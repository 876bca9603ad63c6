/**
 * The shape of the native addon (cuda-engine/src/napi). Every function that touches a file or a
 * device is asynchronous so the JS event loop is never blocked by engine work (DESIGN §4).
 */

/** One compute device the engine can use. */
export interface EngineDevice {
  /** Which backend drives it. */
  backend: "cpu" | "cuda";
  /** Index within its backend (CUDA ordinal; 0 for the CPU). */
  index: number;
  /** Human-readable name ("NVIDIA H200", or the CPU model). */
  name: string;
  /** Total memory in bytes (device memory for CUDA, physical RAM for the CPU). */
  totalBytes: number;
  /** Free memory in bytes at the time of the query. */
  freeBytes: number;
  /** "major.minor" compute capability; absent for the CPU. */
  computeCapability?: string;
  /** Hardware threads (CPU) or streaming multiprocessors (CUDA). */
  cores: number;
}

/** What `devices()` reports: always data, never an exception, even with no driver or GPU. */
export interface DeviceReport {
  cuda: {
    /** Whether this addon was compiled with the CUDA backend (WITH_CUDA at build time). */
    built: boolean;
    /** Whether at least one CUDA device is usable now. */
    available: boolean;
    /** Why CUDA is unavailable ("not built", "no CUDA driver/device: ..."); absent when available. */
    reason?: string;
    /** cudart version the addon was built with, e.g. "13.0"; absent when not built. */
    runtimeVersion?: string;
    /** Version of the installed driver, e.g. "13.0"; absent when no driver is loaded. */
    driverVersion?: string;
  };
  devices: EngineDevice[];
}

/** The type of a metadata value, as GGUF names them. */
export type GgufValueType =
  | "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64"
  | "f32" | "f64" | "bool" | "string" | "array";

/** A metadata value. 64-bit integers outside ±2^53 arrive as bigint. */
export type GgufScalar = number | bigint | boolean | string;
export type GgufValue = GgufScalar | GgufValue[];

/** One metadata entry of a GGUF file. */
export interface GgufMetadataEntry {
  key: string;
  type: GgufValueType;
  /** For arrays, the type of the elements ("array" for nested arrays). */
  itemType?: GgufValueType;
  value: GgufValue;
}

/** One tensor's description; the weights themselves are not read. */
export interface GgufTensorInfo {
  name: string;
  /** ggml type name: "F32", "Q4_K", ... */
  type: string;
  /** Dimensions, innermost (contiguous) first, as GGUF stores them. */
  shape: number[];
  /** Byte offset from the start of the file. */
  offset: number;
  /** Size of the tensor's data in bytes. */
  bytes: number;
}

/** A parsed GGUF header. */
export interface GgufHeader {
  version: number;
  alignment: number;
  /** Byte offset of the tensor data section. */
  dataOffset: number;
  fileBytes: number;
  metadata: GgufMetadataEntry[];
  tensors: GgufTensorInfo[];
}

/** The native engine addon. */
export interface EngineBinding {
  /** Lists compute devices; reports a missing driver or GPU as data. */
  devices(): DeviceReport;
  /** Parses a GGUF file's header and tensor table; rejects with an NtError-shaped error. */
  readGguf(path: string): Promise<GgufHeader>;
  /** Engine build facts (version, backends compiled in, CUDA architectures). */
  buildInfo(): { version: string; cuda: boolean; cudaArchitectures: string; simd: string };
}
