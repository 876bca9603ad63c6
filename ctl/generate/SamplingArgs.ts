import type { SamplingParams } from "../../protocol/verbs/samplingParams.js";

/**
 * The parsed sampling options (see samplingOptions.ts): the protocol's sampling fields that ntctl
 * has a flag for. Each absent one means the engine's default.
 */
export type SamplingArgs = Omit<SamplingParams, "penaltyLastN">;
