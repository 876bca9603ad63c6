/** How `ntctl bench` loads and measures each model (the flags, parsed). */
export interface BenchOptions {
  /** "auto" (CUDA when usable, else the CPU), "cpu" or "cuda". */
  backend: "auto" | "cpu" | "cuda";
  /** Device memory budget in bytes. Default: the engine's (free memory less a margin). */
  vramBudget?: number;
  /** Pinned host memory budget in bytes. Default: the engine's. */
  pinnedBudget?: number;
  /** Staging ring buffers (≥ 3). Default: the engine's, 3. */
  stagingSlots?: number;
  /** The dual path (tier D): "auto", "on" or "off". Default: the engine's, auto. */
  dualPath?: "auto" | "on" | "off";
  /** The KV cache's storage type. Default: the engine's, f16. */
  kvType?: "f32" | "f16" | "q8_0";
  /** CPU threads. Default: the engine's (all). */
  threads?: number;
  /** P of pp<P>: prompt tokens per repetition; also the batch size, so one prompt is one pass. */
  promptTokens: number;
  /** N of tg<N>: tokens generated per repetition, one pass each. */
  genTokens: number;
  /** Timed repetitions of each test, after one warm-up. */
  repetitions: number;
  /** Batched tests: for each N, N sequences decoding together (llama-batched-bench -npl). Empty: none. */
  parallel: number[];
  /** Each batched sequence's prompt tokens (-npp). */
  parallelPrompt: number;
  /** Tokens each batched sequence generates (-ntg). */
  parallelGen: number;
}
