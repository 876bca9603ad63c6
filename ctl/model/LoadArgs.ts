/** The model-loading options of `ntctl load`, `run` and `chat` (see loadOptions.ts). */
export interface LoadArgs {
  /** Context size per sequence, in tokens, when the model is loaded by this command. Default: the engine's. */
  ctxSize?: number;
  /** CPU threads, when the model is loaded by this command. Default: the engine's. */
  threads?: number;
}
