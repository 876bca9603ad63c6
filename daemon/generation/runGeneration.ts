import type { NativeGenerateRequest, NativeTimings, NativeTopLogprob } from "../../cuda-engine/js/EngineBinding.js";
import { NtError } from "../../protocol/NtError.js";
import type { GenerationEvent } from "../../protocol/verbs/generationEvent.js";
import type { GenerationResult } from "../../protocol/verbs/generationResult.js";
import type { SamplingParams } from "../../protocol/verbs/samplingParams.js";
import { ntdMetrics } from "../metrics/ntdMetrics.js";
import type { LoadedModel } from "../models/LoadedModel.js";

/** A generated token with what OpenAI's logprobs report of it: its bytes and its position's most likely tokens. */
export interface TokenLogprobs {
  token: number;
  /** Natural log of its probability, finite (see finiteLogprob). */
  logprob: number;
  /** Its bytes, a control token's as its text; may be part of a UTF-8 character. */
  piece: Uint8Array;
  /** The most likely tokens at its position, most likely first: as many as asked for. */
  top: NativeTopLogprob[];
}

/**
 * Generates from prompt token ids, handing each token to `emit` as the engine produces it (nothing
 * is buffered beyond the tokens and text the result repeats), and resolves with the whole
 * generation. `signal` cancels the engine request; the promise then rejects with NT_E_CANCELLED.
 * With `topLogprobs` (0 to 20), each token event comes with its TokenLogprobs, listing that many
 * alternatives, from the engine's top candidates.
 */
export async function runGeneration(model: LoadedModel, promptTokens: readonly number[], sampling: SamplingParams,
  signal: AbortSignal, emit: (event: GenerationEvent, logprobs?: TokenLogprobs) => void,
  topLogprobs?: number): Promise<GenerationResult> {
  if (promptTokens.length === 0) {
    throw new NtError("NT_E_BAD_REQUEST", "the prompt is empty: it has no tokens (and the model adds no BOS)");
  }
  model.assertTokensInVocabulary(promptTokens, "prompt token");
  const tokens: number[] = [];
  let text = "";
  // Every generation, from the socket verbs and from HTTP, runs through here: the one place to measure them.
  const observation = ntdMetrics.startGeneration(model.name, promptTokens.length);
  const request = { ...nativeRequest(promptTokens, sampling), ...(topLogprobs === undefined ? {} : { topLogprobs }) };
  const end = await model.generate(request, (event) => {
    observation.token();
    tokens.push(event.token);
    text += event.text;
    const logprob = finiteLogprob(event.logprob);
    const details = event.piece && event.top ? {
      token: event.token, logprob, piece: event.piece,
      top: event.top.map((t) => ({ ...t, logprob: finiteLogprob(t.logprob) })),
    } : undefined;
    emit({ type: "token", token: event.token, text: event.text, logprob }, details);
  }, signal).finally(() => observation.end());
  if (end.text !== "") {
    text += end.text;
    emit({ type: "text", text: end.text });
  }
  return { promptTokens: [...promptTokens], tokens, text, reason: end.reason, timings: wireTimings(end.timings) };
}

/** -Infinity cannot be validated as a number on the wire nor written in JSON; a token that impossible is rare enough to clamp. */
function finiteLogprob(logprob: number): number {
  return Number.isFinite(logprob) ? logprob : -Number.MAX_VALUE;
}

/**
 * The engine request: the prompt and the sampling fields given, named alike on both sides (listed
 * here so the compiler checks each against the engine's). Absent fields are left out, not sent as
 * undefined, so the engine's defaults apply.
 */
function nativeRequest(promptTokens: readonly number[], sampling: SamplingParams): NativeGenerateRequest {
  const { maxTokens, temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
    penaltyLastN, seed, stop, ignoreEos } = sampling;
  const fields: Omit<NativeGenerateRequest, "prompt"> = {
    maxTokens, temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
    penaltyLastN, seed, stop, ignoreEos,
  };
  const given = Object.entries(fields).filter(([, value]) => value !== undefined);
  return { prompt: Int32Array.from(promptTokens), ...Object.fromEntries(given) };
}

/** llama-server's timing fields; a rate over zero time is reported as 0, not Infinity (which JSON cannot carry). */
export function wireTimings(t: NativeTimings): GenerationResult["timings"] {
  const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);
  return {
    prompt_n: t.promptN, prompt_ms: t.promptMs, prompt_per_second: rate(t.promptN, t.promptMs),
    predicted_n: t.predictedN, predicted_ms: t.predictedMs, predicted_per_second: rate(t.predictedN, t.predictedMs),
  };
}
