import { parseMessage } from "../../protocol/parseMessage.js";
import { samplingParamsSchema, type SamplingParams } from "../../protocol/verbs/samplingParams.js";
import type { OpenAiSamplingFields } from "./openAiSamplingFields.js";

/**
 * An OpenAI request's sampling fields as the protocol's SamplingParams, checked against the same
 * schema the socket verbs use (so both front doors accept the same ranges). Absent and null fields
 * stay absent: the engine's defaults apply.
 */
export function samplingOf(request: OpenAiSamplingFields): SamplingParams {
  const stop = typeof request.stop === "string" ? [request.stop] : request.stop;
  const fields = {
    maxTokens: request.max_completion_tokens ?? request.max_tokens,
    temperature: request.temperature,
    topP: request.top_p,
    topK: request.top_k,
    minP: request.min_p,
    repeatPenalty: request.repeat_penalty,
    presencePenalty: request.presence_penalty,
    frequencyPenalty: request.frequency_penalty,
    seed: request.seed,
    // OpenAI accepts "" and [] as "no stop"; the engine wants non-empty strings.
    stop: stop?.filter((s) => s !== ""),
  };
  const given = Object.entries(fields).filter(([, value]) => value !== undefined && value !== null);
  // A refusal names the field as the client wrote it (max_tokens), not the protocol's maxTokens.
  const maxTokensField = request.max_completion_tokens === undefined || request.max_completion_tokens === null ? "max_tokens" : "max_completion_tokens";
  const openAiName = (path: readonly PropertyKey[]) => path[0] === "maxTokens" ? maxTokensField
    : typeof path[0] === "string" ? path[0].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : undefined;
  return parseMessage(samplingParamsSchema, Object.fromEntries(given), "sampling", "NT_E_BAD_REQUEST", openAiName);
}
