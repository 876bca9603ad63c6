/**
 * The shape of the native addon (cuda-engine/src/napi). Every function that touches a file or a
 * device is asynchronous so the JS event loop is never blocked by engine work (DESIGN §4).
 */
import type { LoadOptions } from "../../protocol/verbs/loadOptions.js";

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

/**
 * Options of {@link EngineBinding.loadModel}: the protocol's load options (loadOptionsSchema,
 * their one definition: nCtx, threads, backend, vramBudget, pinnedBudget, stagingSlots, kvSize,
 * dualPath, recalibrate, kvType), which
 * the N-API layer converts once to the engine's ModelOptions, plus what only the daemon or
 * nt-bench decides. A backend other than "auto", "cpu" or "cuda" is refused with NT_E_BAD_REQUEST.
 */
export interface NativeModelOptions extends LoadOptions {
  /** Sequences that share one forward pass (continuous batching); more requests wait. Default 4. */
  maxSequences?: number;
  /** Tokens in one forward pass at most; longer prompts are processed in chunks. Default 512. */
  nBatch?: number;
  /**
   * Let streamed (tier C) reads fall back to buffered I/O where O_DIRECT is refused (tmpfs, some
   * network filesystems) instead of failing the load. Default false: page-cache reads would make
   * the measured link speed a lie.
   */
  allowBufferedIo?: boolean;
  /**
   * The file the dual path's calibration is cached in (per CPU model, threads, device and weight
   * type; ntd passes <its state directory>/calibration.tsv). Default: none, measured once per process.
   */
  calibrationCache?: string;
  /**
   * A forced dual-path split, one "G" (device) or "C" (CPU) per layer, whatever dualPath says
   * (tests, benches). Default: none, the planner decides.
   */
  dualPattern?: string;
  /**
   * Load from a GGUF image on a raw block device (the "raw" storage backend, DESIGN §2) instead of
   * a file: the root helper's read-only (O_DIRECT) descriptor of the device (verb open-image), the
   * byte offset where the GGUF starts in it (a multiple of 4096) and the GGUF's size in bytes. The
   * `path` argument of loadModel then only names the model (in errors and status). The engine
   * reads the header and resident tiers and streams tier C from its own dup of the descriptor:
   * the caller keeps `fd`, must keep it open until the load settles, and may close it after. Each
   * field must be a safe integer (fd >= 0, offset a multiple of 4096, size > 0), else the load is
   * refused with NT_E_BAD_REQUEST naming it; an image that is not a GGUF or ends before its tensors
   * fails with NT_E_BAD_GGUF, one that runs past the device's end with NT_E_IO. Default: none.
   */
  image?: { fd: number; offset: number; size: number };
  /**
   * Load through nt-nvme-helper's VFIO data plane (the "vfio" storage backend, DESIGN §2) instead:
   * the sealed memfd of an `open-dataplane` session (protocol/helper/dataplaneRing.h) and the
   * placed GGUF's size. There is no block device: the header, the resident tiers and tier C are
   * all read through the session's ring. The engine maps the memfd (the caller may close `fd`
   * once the load settles) and ends the session when the model is unloaded, or at the end of the
   * load when nothing streams from storage. A session whose image is not `size` bytes is
   * NT_E_BAD_REQUEST; a helper that refuses, stops or stops answering (within timeoutMs, default
   * 40000) fails reads with NT_E_IO. `device`, the drive's PCI address, keys the storage speed
   * measured at load (cached per process): without it every vfio load measures its own.
   * Not together with `image`. Default: none.
   */
  vfio?: { fd: number; size: number; timeoutMs?: number; device?: string };
}

/**
 * Bytes per tier: A resident in device memory, B in pinned host RAM and copied to the device each
 * pass, C read from storage each pass through the staging ring (DESIGN §2), D in pinned host RAM
 * and computed there by the CPU (the dual path).
 */
export interface NativeTierBytes {
  a: number;
  b: number;
  c: number;
  d: number;
}

/**
 * The dual path of a placement (tier D): the split, the calibration it was chosen with (GB/s, 0
 * when not measured) and the pass it predicts. The fields of the protocol's dualPathSchema.
 */
export interface NativeDualPath {
  mode: "auto" | "on" | "off";
  /** One letter per layer: "G" the compute device, "C" the CPU. */
  layers: string;
  cpuBytes: number;
  switches: number;
  batch: number;
  calibration: { cpuGBps: number; cpuBatchGBps: number; cpuBatch: number; h2dTogetherGBps: number; cpuTogetherGBps: number };
  dualBoundGBps: number;
  predictedPassMs: number;
  streamingPassMs: number;
  /**
   * When passes choose (auto with tier D): the most tokens a pass may carry and still take the
   * split; larger passes (a prompt) stream every block to the device. Absent when every pass
   * takes the split (on, a forced pattern) or there is no tier D, and from older addons.
   */
  splitMaxTokens?: number;
}

/** One row of the placement: a layer ("blk.N") or a tensor outside the layers ("output", "output_norm"). */
export interface NativePlacementRow {
  /** "blk.N" for layer N, else the tensor's name. */
  name: string;
  /** The layer index; -1 for a row that is not a layer. */
  layer: number;
  /** Its bytes in each tier (a layer may be split across tiers). */
  bytes: NativeTierBytes;
  /** Expected milliseconds per pass to bring its non-resident bytes to the device (the cost model). */
  ms: number;
}

/**
 * The planner's decision for a loaded model: which weights live in which tier, what memory it
 * takes, the link speeds it assumed and the decode speed bound that follows (DESIGN §3). Fixed for
 * the model's life.
 */
export interface NativePlacement {
  /** Per layer, then per non-layer tensor. */
  rows: NativePlacementRow[];
  /** The rows' bytes summed per tier. */
  totals: NativeTierBytes;
  /** Weight bytes brought to the device each pass (tiers B and C): S in tok/s ≤ B_link / S. */
  streamedBytes: number;
  /** Weight bytes that stay in host memory and never move whole (the token-embedding table: one row per token). */
  hostOnlyBytes: number;
  /** The device memory budget in force, in bytes (the option, or the default it resolved to). */
  vramBudget: number;
  /** The pinned host memory budget in force, in bytes. */
  pinnedBudget: number;
  /** Device memory the model takes, in bytes (weights, KV cache, activations, slots). */
  vramUsed: number;
  /** Pinned host memory the model takes, in bytes (tier B and the staging ring). */
  pinnedUsed: number;
  /** Bytes of the KV cache (every sequence's full context). */
  kvBytes: number;
  /** Bytes of activations and scratch buffers on the device. */
  activationBytes: number;
  /** Bytes of the pinned staging ring. */
  stagingBytes: number;
  /** Buffers in the staging ring. */
  stagingSlots: number;
  /** Bytes each ring slot takes off both budgets beyond its largest group (alignment, rounded-out reads). */
  slotSlackBytes: number;
  /** Link speeds the cost model used, in GB/s (10^9 bytes per second), measured at load. */
  links: { vramGBps: number; h2dGBps: number; storageGBps: number };
  /** Expected milliseconds of one decode pass (one token of one sequence). */
  passMs: number;
  /** The decode bound of one sequence: tokens per second ≤ this (DESIGN §3). */
  boundTokS: number;
  /** Whether storage reads use O_DIRECT (false: buffered, allowed by allowBufferedIo). */
  directIo: boolean;
  /** The placement as a printable table (per layer tier, bytes, expected ms per pass), lines ending in "\n". */
  text: string;
  /** The dual path, when the load asked for it (dualPath auto or on) or a split was forced. */
  dualPath?: NativeDualPath;
}

/**
 * Cumulative time and bytes of the streaming pipeline's stages since the model was loaded. The
 * stages overlap, so their times do not add up to wall time; stallMs is the time compute waited
 * for a layer's weights, the number that says the link is the bottleneck.
 */
export interface NativeStageStats {
  /** Forward passes run. */
  passes: number;
  /** Bytes read from storage into the staging ring (tier C). */
  bytesRead: number;
  /** Bytes copied host → device (tiers B and C). */
  bytesCopied: number;
  /** Milliseconds the I/O threads spent reading. */
  readMs: number;
  /** Milliseconds the copy stream spent on host → device copies. */
  h2dMs: number;
  /** Milliseconds the compute stream spent computing. */
  computeMs: number;
  /** Milliseconds compute waited for weights that had not arrived. */
  stallMs: number;
  /** On the dual path: of `passes`, those that took the split (tier D on the CPU); the rest streamed every block. */
  splitPasses?: number;
  /**
   * How tier C reaches the device, when anything streams from storage: through the streamer's pinned
   * staging, or uploaded straight from the reader's registered buffers (the vfio data plane's slots: zero-copy).
   */
  tierCPath?: "staging" | "reader-buffers";
  /** Why the reader's buffers were offered but not used (e.g. cudaHostRegister refused by RLIMIT_MEMLOCK). */
  tierCFallback?: string;
}

/** What a loaded model is, from its metadata and the load options. */
export interface NativeModelInfo {
  architecture: string;
  nVocab: number;
  nCtx: number;
  nCtxTrain: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  threads: number;
  /** Bytes of weights held in memory. */
  weightBytes: number;
  /**
   * Bytes of keys and values one sequence's full context takes in the KV cache's type (whole
   * 16-position blocks); the pool all sequences share is placement.kvBytes.
   */
  kvBytesPerSequence: number;
  /** BOS and EOS token ids, -1 when the vocabulary has none. */
  bos: number;
  eos: number;
  /** tokenizer.chat_template, when the file has one. */
  chatTemplate?: string;
  /** The backend the model runs on. */
  backend: "cpu" | "cuda";
  /** Where the weights live and what that costs per pass. */
  placement: NativePlacement;
}

/** A generation request: token ids in, sampling as llama.cpp names it. */
export interface NativeGenerateRequest {
  /** The prompt's token ids (BOS included when the model wants one). */
  prompt: Int32Array | number[];
  /** Tokens to generate at most; -1 (the default) until the context is full. 0 or < -1 is refused. */
  maxTokens?: number;
  /** 0 or less: greedy. Default 0.8. */
  temperature?: number;
  /** Default 40; 0 turns it off. */
  topK?: number;
  /** Default 0.95; 1 turns it off. */
  topP?: number;
  /** Default 0.05; 0 turns it off. */
  minP?: number;
  /** Default 1 (off). */
  repeatPenalty?: number;
  /** Default 0. */
  frequencyPenalty?: number;
  /** Default 0. */
  presencePenalty?: number;
  /** Tokens the penalties look back at. Default 64. */
  penaltyLastN?: number;
  /** Seed of the sampler's generator: same seed, same output. Default 0. */
  seed?: number;
  /** Generation ends before the first occurrence of any of these; that text is not returned. */
  stop?: string[];
  /** Keep generating past end-of-generation tokens (benchmarks). Default false. */
  ignoreEos?: boolean;
  /**
   * 0 to 20: each token event also carries the token's bytes (`piece`) and this many of the most
   * likely tokens at its position (`top`), for OpenAI's logprobs. Absent: neither.
   */
  topLogprobs?: number;
}

/** One of the most likely tokens at a position (a token event's `top`). */
export interface NativeTopLogprob {
  token: number;
  /** Natural log of its probability under the model's distribution (before sampling transforms). */
  logprob: number;
  /** Its bytes; a control token's as its text. May be an incomplete UTF-8 sequence. */
  piece: Uint8Array;
}

/** Per-request timings, as llama.cpp reports them. */
export interface NativeTimings {
  promptN: number;
  promptMs: number;
  predictedN: number;
  predictedMs: number;
}

/**
 * A generation event. `text` of a token event is the newly releasable UTF-8 text (empty while a
 * character is incomplete or a stop string may be starting); `done` carries the held-back rest.
 */
export type NativeGenerateEvent =
  | { type: "token"; token: number; text: string; logprob: number;
      /** With topLogprobs: the token's bytes and its position's most likely tokens, most likely first. */
      piece?: Uint8Array; top?: NativeTopLogprob[] }
  | { type: "done"; reason: "stop" | "length" | "context" | "cancelled" | "error"; text: string;
      timings: NativeTimings; code?: string; message?: string };

/**
 * A part of a prompt given to tokenize in parts: parseSpecial says whether special-token texts
 * ("<|eot_id|>") in it are recognised. A chat prompt's template markers are; its messages never
 * are, so a message cannot forge a turn. The parts are otherwise one text (pre-tokenization and
 * SentencePiece's space prefix run across them): where no special text is refused, the tokens
 * are those of the joined text with parseSpecial.
 */
export interface TokenizerSegment {
  text: string;
  parseSpecial: boolean;
}

/** A loaded model (cuda-engine/src/napi/model_handle.cc). */
export interface NativeModel {
  info(): NativeModelInfo;
  /** addSpecial: BOS/EOS as the model wants; parseSpecial: recognise special-token texts. */
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  /** A prompt in parts, special-token texts recognised only in the parts that say so. */
  tokenize(segments: readonly TokenizerSegment[], addSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array | number[], renderSpecial?: boolean): string;
  /** Queues a request; events arrive on the JS thread, "done" exactly once and last. Returns its id. */
  generate(request: NativeGenerateRequest, onEvent: (event: NativeGenerateEvent) => void): number;
  /** Ends a request with reason "cancelled"; false for an id never issued. */
  cancel(id: number): boolean;
  /** Logits after each token from position 0 on a fresh cache: tokens.length × nVocab floats. */
  evaluate(tokens: Int32Array | number[], nBatch?: number): Promise<Float32Array>;
  /** Requests generating and waiting, and the streaming stages' cumulative timers. */
  stats(): {
    active: number;
    queued: number;
    stages: NativeStageStats;
    /**
     * Set once a forward pass failed (an I/O error streaming weights, a CUDA error, out of
     * memory): that pass's requests ended with reason "error" and this code and message, and the
     * model computes nothing more (every later pass throws the same error); unload it. Older
     * addons never set it.
     */
    failure?: { code: string; message: string };
  };
  /** Cancels running requests and frees the model; later calls throw NT_E_BAD_REQUEST. */
  dispose(): Promise<void>;
}

/** A tokenizer read from a GGUF file alone (no weights): vocabulary-only files too. */
export interface NativeTokenizer {
  /** addSpecial: BOS/EOS as the vocabulary wants; parseSpecial: recognise special-token texts. */
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  /** A prompt in parts, special-token texts recognised only in the parts that say so. */
  tokenize(segments: readonly TokenizerSegment[], addSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array | number[], renderSpecial?: boolean): string;
}

/** The native engine addon. */
export interface EngineBinding {
  /** Reads the tokenizer of a GGUF file; NT_E_UNSUPPORTED names a tokenizer model or pre-tokenizer it does not know. */
  loadTokenizer(path: string): Promise<NativeTokenizer>;
  /**
   * Loads a GGUF model on the backend options.backend chooses, placing its weights in the three
   * tiers within the budgets; onProgress gets (bytes read, total bytes). `path` is the GGUF file,
   * or only the model's name when options.image gives a raw image's descriptor or options.vfio a data-plane session.
   */
  loadModel(path: string, options?: NativeModelOptions, onProgress?: (done: number, total: number) => void): Promise<NativeModel>;
  /** Lists compute devices; reports a missing driver or GPU as data. */
  devices(): DeviceReport;
  /** Parses a GGUF file's header and tensor table; rejects with an NtError-shaped error. */
  readGguf(path: string): Promise<GgufHeader>;
  /** Engine build facts (version, backends compiled in, CUDA architectures). */
  buildInfo(): { version: string; cuda: boolean; cudaArchitectures: string; simd: string };
}
