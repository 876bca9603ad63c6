import { NtError } from "../../protocol/NtError.js";
import { parseMessage } from "../../protocol/parseMessage.js";
import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { chatPromptTokens } from "../chat/chatPromptTokens.js";
import { chatChoiceFormat } from "./chatChoiceFormat.js";
import { chatCompletionRequestSchema, type ChatCompletionRequest } from "./chatCompletionRequestSchema.js";
import { getLoadedModel } from "./getLoadedModel.js";
import type { HttpRoute } from "./HttpExchange.js";
import { readJsonBody } from "./readJsonBody.js";
import { refuseUnservedFields } from "./refuseUnservedFields.js";
import { samplingOf } from "./samplingOf.js";
import { serveGeneration } from "./serveGeneration.js";

/**
 * POST /v1/chat/completions: the messages in the model's chat format, tokenized as the `chat` verb
 * does (BOS added, the template's special-token texts recognised, message contents always plain
 * text), then generated. A model without a template chats in ChatML (chatFormatOf); one whose
 * template ntd cannot apply is NT_E_UNSUPPORTED (400): load it with --chat-template, or use
 * /v1/completions. `logprobs: true` reports each token's logprob, `top_logprobs` (which needs it)
 * that many alternatives.
 */
export const handleChatCompletions: HttpRoute = async (exchange) => {
  const body = await readJsonBody(exchange.req, exchange.maxBodyBytes);
  refuseUnservedFields(body, chatCompletionRequestSchema.keyof().options);
  const request = parseMessage(chatCompletionRequestSchema, body, "body");
  if (request.top_logprobs !== undefined && request.top_logprobs !== null && request.logprobs !== true) {
    throw new NtError("NT_E_BAD_REQUEST", "top_logprobs needs logprobs: true");
  }
  const sampling = samplingOf(request);
  const model = await getLoadedModel(exchange.registry, request.model, exchange.signal);
  await serveGeneration(exchange, {
    model, promptTokens: chatPromptTokens(model, chatMessagesOf(request)), sampling,
    stream: request.stream ?? false, includeUsage: request.stream_options?.include_usage ?? false,
    format: chatChoiceFormat, topLogprobs: request.logprobs === true ? request.top_logprobs ?? 0 : undefined,
  });
};

/** OpenAI's messages as the chat formats take them: text parts joined, "developer" as "system". */
function chatMessagesOf(request: ChatCompletionRequest): ChatMessage[] {
  return request.messages.map(({ role, content }) => ({
    role: role === "developer" ? "system" : role,
    content: typeof content === "string" ? content : (content ?? []).map((part) => part.text).join(""),
  }));
}
