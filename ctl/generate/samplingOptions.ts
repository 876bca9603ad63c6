import type { Options } from "yargs";
import type { SamplingParams } from "../../protocol/verbs/samplingParams.js";

/**
 * The sampling options of `ntctl run` and `chat`, named as llama.cpp's tools name them. Absent ones
 * take the engine's defaults; the daemon validates the values (NT_E_BAD_REQUEST, exit 2).
 */
export const samplingOptions = {
  "max-tokens": { type: "number", alias: "n", describe: "Generate at most N tokens (default: until end of text or a full context)" },
  temperature: { type: "number", describe: "Sampling temperature; 0 = greedy (default 0.8)" },
  seed: { type: "number", describe: "Seed of the sampler: same seed, same output (default 0)" },
  "top-k": { type: "number", describe: "Keep the K most likely tokens; 0 = off (default 40)" },
  "top-p": { type: "number", describe: "Keep the likeliest tokens up to probability P; 1 = off (default 0.95)" },
  "min-p": { type: "number", describe: "Drop tokens below P × the top probability; 0 = off (default 0.05)" },
  "repeat-penalty": { type: "number", describe: "Penalise recently seen tokens; 1 = off (default 1)" },
  "frequency-penalty": { type: "number", describe: "Subtract per occurrence of a recent token (default 0)" },
  "presence-penalty": { type: "number", describe: "Subtract once for every recent token (default 0)" },
  "ignore-eos": { type: "boolean", describe: "Keep generating past end-of-text (for benchmarks)" },
  stop: {
    type: "string", requiresArg: true,
    // Repeated options arrive as an array, a single one as a string; `array: true` would also
    // swallow the prompt that follows.
    coerce: (value: string | string[]) => [value].flat(),
    describe: "Stop before this text (repeatable)",
  },
} as const satisfies Record<string, Options>;

/**
 * The parsed sampling options (see samplingOptions): the protocol's sampling fields that ntctl
 * has a flag for. Each absent one means the engine's default.
 */
export type SamplingArgs = Omit<SamplingParams, "penaltyLastN">;

/** The protocol's sampling fields from the command line's, copied by name (yargs adds aliases and more). */
export function samplingParamsFrom(args: SamplingArgs): SamplingParams {
  const { maxTokens, temperature, seed, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, stop,
    ignoreEos } = args;
  return { maxTokens, temperature, seed, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, stop, ignoreEos };
}
