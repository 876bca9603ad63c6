// Types of llamaCppOracle.js, written by hand: the oracle is plain JavaScript so that the root
// build never needs node-llama-cpp (it lives only in test/oracle/node_modules). Keep in step with
// the implementation; llamaCppOracle.js declares its export with this interface, so
// `npx tsc -p test/oracle` checks that it does.

/** How text becomes tokens; both fields mean what they mean to llama.cpp's `llama_tokenize`. */
export interface TokenizeOptions {
  /**
   * Add the special tokens the vocabulary asks for: BOS when `tokenizer.ggml.add_bos_token` is
   * set, EOS when `add_eos_token` is set (WPM: always CLS ... SEP; RWKV and PLaMo-2: none).
   * Defaults to `false`.
   */
  addSpecial?: boolean;
  /** Turn the text of special tokens (`<s>`, `<|endoftext|>`) into those tokens. Defaults to `false`. */
  parseSpecial?: boolean;
}

/** How llama.cpp runs a forward pass for the oracle. */
export interface EvaluateOptions {
  /**
   * CPU threads for the context, used exactly (the Llama instance has no thread cap). ggml splits
   * work by output rows, so results do not depend on it. Defaults to llama.cpp's count of math
   * cores (`cpuMathCores`, what llama-bench uses).
   */
  threads?: number;
  /**
   * Type of the K and V caches, a ggml type name ("F32", "F16", "Q8_0"). Defaults to `"F32"` for
   * logProbs and greedy (exactness first), `"F16"` for bench.
   */
  kvCacheType?: string;
  /** Flash attention (llama.cpp needs it for a quantized V cache). Defaults to `false`. */
  flashAttention?: boolean;
}

/** A pp/tg measurement in the style of llama-bench. */
export interface BenchOptions extends EvaluateOptions {
  /** Tokens of the prompt-processing test, evaluated as one batch. Defaults to 512. */
  promptTokens?: number;
  /** Tokens of the generation test, one decode each, from an empty context. Defaults to 128. */
  genTokens?: number;
  /** Measured repetitions of each test, after one warm-up run. Defaults to 3. */
  repetitions?: number;
}

export interface BenchResult {
  threads: number;
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  /** Mean over repetitions of prompt tokens per second, from llama.cpp's own counters (`llama_perf_context`). */
  promptTokensPerSecond: number;
  /** Mean over repetitions of generated tokens per second, from llama.cpp's own counters. */
  generationTokensPerSecond: number;
  /** Per-repetition prompt tokens per second, llama.cpp's counters. */
  promptSamples: number[];
  /** Per-repetition generation tokens per second, llama.cpp's counters. */
  generationSamples: number[];
  /** Prompt tokens per second timed in JavaScript around the calls (adds node-llama-cpp's overhead). */
  promptWallTokensPerSecond: number;
  /** Generated tokens per second timed in JavaScript around the calls (adds node-llama-cpp's overhead, ~0.1 ms a token). */
  generationWallTokensPerSecond: number;
}

/**
 * llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU binary) as the reference our engine must match
 * (DESIGN §7). One Llama instance per process; models are loaded once per path and kept until
 * `dispose()`. Every forward pass uses a fresh context with F32 K and V caches, flash attention off,
 * the whole prompt in one batch (n_batch = n_ubatch ≥ prompt length) and no context shift.
 */
export interface LlamaCppOracle {
  /** Token ids exactly as `llama_tokenize(vocab, text, addSpecial, parseSpecial)` returns them. */
  tokenize(modelPath: string, text: string, options?: TokenizeOptions): Promise<number[]>;
  /**
   * Text exactly as `llama_detokenize(vocab, ids, remove_special = false, unparseSpecial)` writes it
   * (invalid UTF-8 becomes U+FFFD). `unparseSpecial` writes special tokens' text; default `false`.
   */
  detokenize(modelPath: string, ids: readonly number[], options?: { unparseSpecial?: boolean }): Promise<string>;
  /**
   * For each position i, log-softmax over the whole vocabulary of the logits llama.cpp computes
   * after tokens[0..i], indexed by token id. Source and precision: llama.cpp's float32 softmax of
   * the raw logits (node-llama-cpp's `probabilities`, greedy sampler, nothing applied), renormalised
   * and logged in float64. Against the exact log-softmax of llama.cpp's float32 logits the error is
   * about 2e-7 + 6e-8·|log p| (float32 rounding of logit − max, expf, the division) while log p is
   * above -87; from -87 to -103 float32 subnormals lose digits; below that it is -Infinity.
   */
  logProbs(modelPath: string, tokens: readonly number[], options?: EvaluateOptions): Promise<Float64Array[]>;
  /**
   * `n` tokens chosen greedily (argmax of the logits, lowest id on ties) after the prompt, each
   * decoded one at a time as llama.cpp generates. EOS does not stop it: it always returns `n` ids.
   */
  greedy(modelPath: string, promptTokens: readonly number[], n: number, options?: EvaluateOptions): Promise<number[]>;
  /** Prompt-processing and generation speed, llama-bench's pp512/tg128 tests by default. */
  bench(modelPath: string, options?: BenchOptions): Promise<BenchResult>;
  /** Frees every loaded model and the Llama instance; a later call starts a fresh one. */
  dispose(): Promise<void>;
}

export declare const llamaCppOracle: LlamaCppOracle;
