import { z } from "zod";
import { parseMessage } from "../../protocol/parseMessage.js";
import { tokenIdSchema } from "../../protocol/verbs/tokenId.js";
import { getLoadedModel } from "./getLoadedModel.js";
import type { HttpRoute } from "./HttpExchange.js";
import { MAX_TOP_LOGPROBS } from "./maxTopLogprobs.js";
import { openAiSamplingFields } from "./openAiSamplingFields.js";
import { readJsonBody } from "./readJsonBody.js";
import { samplingOf } from "./samplingOf.js";
import { refuseUnservedFields } from "./refuseUnservedFields.js";
import { serveGeneration } from "./serveGeneration.js";
import { textChoiceFormat } from "./textChoiceFormat.js";

/**
 * The body of POST /v1/completions. The prompt is one string (or an array holding one), or token
 * ids; batches of prompts are refused, since each would be a generation of its own.
 */
const completionRequestSchema = z.object({
  ...openAiSamplingFields,
  prompt: z.union([z.string(), z.tuple([z.string()]), z.array(tokenIdSchema).min(1)]),
  /** Each token's logprob and this many alternatives (OpenAI allows up to 5, llama-server more). */
  logprobs: z.int().min(0).max(MAX_TOP_LOGPROBS).nullish(),
});

/**
 * POST /v1/completions: continues the prompt. Text is tokenized as the `generate` verb does by
 * default (BOS added as the model asks, special-token texts left as text); token ids are used as given.
 */
export const handleCompletions: HttpRoute = async (exchange) => {
  const body = await readJsonBody(exchange.req, exchange.maxBodyBytes);
  refuseUnservedFields(body, completionRequestSchema.keyof().options);
  const request = parseMessage(completionRequestSchema, body, "body");
  const sampling = samplingOf(request);
  const model = await getLoadedModel(exchange.registry, request.model, exchange.signal);
  const { prompt } = request;
  const promptTokens = typeof prompt === "string" ? model.tokenize(prompt, true, false)
    : typeof prompt[0] === "string" ? model.tokenize(prompt[0], true, false)
      : prompt as number[];
  await serveGeneration(exchange, {
    model, promptTokens, sampling,
    stream: request.stream ?? false, includeUsage: request.stream_options?.include_usage ?? false,
    format: textChoiceFormat, topLogprobs: request.logprobs ?? undefined,
  });
};
