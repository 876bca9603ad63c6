import type { SamplingParams } from "../../protocol/verbs/samplingParams.js";
import type { SamplingArgs } from "./SamplingArgs.js";

/** The protocol's sampling fields from the command line's, copied by name (yargs adds aliases and more). */
export function samplingParamsFrom(args: SamplingArgs): SamplingParams {
  const { maxTokens, temperature, seed, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, stop,
    ignoreEos } = args;
  return { maxTokens, temperature, seed, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, stop, ignoreEos };
}
