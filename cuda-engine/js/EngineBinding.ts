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

/** Options of {@link EngineBinding.loadModel}. */
export interface NativeModelOptions {
  /** Context size per sequence in tokens. Default: the model's training context, at most 4096. */
  nCtx?: number;
  /** CPU threads for the forward pass. Default: one per hardware thread. */
  threads?: number;
  /** Sequences that share one forward pass (continuous batching); more requests wait. Default 4. */
  maxSequences?: number;
  /** Tokens in one forward pass at most; longer prompts are processed in chunks. Default 512. */
  nBatch?: number;
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
  /** Bytes of F32 keys and values one sequence's full context takes. */
  kvBytesPerSequence: number;
  /** BOS and EOS token ids, -1 when the vocabulary has none. */
  bos: number;
  eos: number;
  /** tokenizer.chat_template, when the file has one. */
  chatTemplate?: string;
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
  | { type: "token"; token: number; text: string; logprob: number }
  | { type: "done"; reason: "stop" | "length" | "context" | "cancelled" | "error"; text: string;
      timings: NativeTimings; code?: string; message?: string };

/** A loaded model (cuda-engine/src/napi/model_handle.cc). */
export interface NativeModel {
  info(): NativeModelInfo;
  /** addSpecial: BOS/EOS as the model wants; parseSpecial: recognise special-token texts. */
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array | number[], renderSpecial?: boolean): string;
  /** Queues a request; events arrive on the JS thread, "done" exactly once and last. Returns its id. */
  generate(request: NativeGenerateRequest, onEvent: (event: NativeGenerateEvent) => void): number;
  /** Ends a request with reason "cancelled"; false for an id never issued. */
  cancel(id: number): boolean;
  /** Logits after each token from position 0 on a fresh cache: tokens.length × nVocab floats. */
  evaluate(tokens: Int32Array | number[], nBatch?: number): Promise<Float32Array>;
  stats(): { active: number; queued: number };
  /** Cancels running requests and frees the model; later calls throw NT_E_BAD_REQUEST. */
  dispose(): Promise<void>;
}

/** A tokenizer read from a GGUF file alone (no weights): vocabulary-only files too. */
export interface NativeTokenizer {
  /** addSpecial: BOS/EOS as the vocabulary wants; parseSpecial: recognise special-token texts. */
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array | number[], renderSpecial?: boolean): string;
}

/** The native engine addon. */
export interface EngineBinding {
  /** Reads the tokenizer of a GGUF file; NT_E_UNSUPPORTED names a tokenizer model or pre-tokenizer it does not know. */
  loadTokenizer(path: string): Promise<NativeTokenizer>;
  /** Loads a GGUF model on the CPU backend; onProgress gets (bytes read, total bytes). */
  loadModel(path: string, options?: NativeModelOptions, onProgress?: (done: number, total: number) => void): Promise<NativeModel>;
  /** Lists compute devices; reports a missing driver or GPU as data. */
  devices(): DeviceReport;
  /** Parses a GGUF file's header and tensor table; rejects with an NtError-shaped error. */
  readGguf(path: string): Promise<GgufHeader>;
  /** Engine build facts (version, backends compiled in, CUDA architectures). */
  buildInfo(): { version: string; cuda: boolean; cudaArchitectures: string; simd: string };
}
