/** The model-loading options of `ntctl load`, `run` and `chat` (see loadOptions.ts). */
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
}
