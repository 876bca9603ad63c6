/** The parsed sampling options (see samplingOptions.ts); each absent one means the engine's default. */
export interface SamplingArgs {
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  stop?: string[];
  ignoreEos?: boolean;
}
