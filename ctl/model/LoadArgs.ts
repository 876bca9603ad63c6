/** The model-loading options of `ntctl load`, `run` and `chat` (see loadOptions.ts); each absent one is the daemon's default. */
export interface LoadArgs {
  /** Context size per sequence, in tokens, when the model is loaded by this command. Default: the engine's. */
  ctxSize?: number;
  /** CPU threads, when the model is loaded by this command. Default: the engine's. */
  threads?: number;
  /**
   * How long the daemon keeps the model loaded once idle: "10m", "30s", "1h", seconds, 0 (unload
   * when idle) or negative (never). Default: the model's current keep-alive, else the daemon's default.
   */
  keepAlive?: string;
  /** The backend, when the model is loaded by this command: "cuda", "cpu" or "auto". Default: the daemon's. */
  backend?: "auto" | "cpu" | "cuda";
  /** Device memory budget in bytes (parsed from "24GiB" and the like), when loaded by this command. Default: the daemon's. */
  vramBudget?: number;
  /** Pinned host memory budget in bytes, when loaded by this command. Default: the daemon's. */
  pinnedBudget?: number;
  /** Staging ring buffers (≥ 3), when loaded by this command. Default: the engine's, 3. */
  stagingSlots?: number;
}
