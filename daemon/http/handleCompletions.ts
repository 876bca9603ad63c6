import { parseMessage } from "../../protocol/parseMessage.js";
import { completionRequestSchema } from "./completionRequestSchema.js";
import { getLoadedModel } from "./getLoadedModel.js";
import type { HttpRoute } from "./HttpExchange.js";
import { readJsonBody } from "./readJsonBody.js";
import { samplingOf } from "./samplingOf.js";
import { serveGeneration } from "./serveGeneration.js";
import { textChoiceFormat } from "./textChoiceFormat.js";

/**
 * POST /v1/completions: continues the prompt. Text is tokenized as the `generate` verb does by
 * default (BOS added as the model asks, special-token texts left as text); token ids are used as given.
 */
export const handleCompletions: HttpRoute = async (exchange) => {
  const request = parseMessage(completionRequestSchema, await readJsonBody(exchange.req, exchange.maxBodyBytes), "body");
  const sampling = samplingOf(request);
  const model = await getLoadedModel(exchange.registry, request.model, exchange.signal);
  const { prompt } = request;
  const promptTokens = typeof prompt === "string" ? model.tokenize(prompt, true, false)
    : typeof prompt[0] === "string" ? model.tokenize(prompt[0], true, false)
      : prompt as number[];
  await serveGeneration(exchange, {
    model, promptTokens, sampling,
    stream: request.stream ?? false, includeUsage: request.stream_options?.include_usage ?? false,
    format: textChoiceFormat,
  });
};
