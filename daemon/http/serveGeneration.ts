import { randomUUID } from "node:crypto";
import type { SamplingParams } from "../../protocol/verbs/samplingParams.js";
import { runGeneration } from "../generation/runGeneration.js";
import type { LoadedModel } from "../models/LoadedModel.js";
import { sendJson, type HttpExchange } from "./HttpExchange.js";
import { httpErrorOf } from "./httpErrorOf.js";

/** Why a choice ended, in OpenAI's words ("context": a full context is reported as "length", as llama-server does). */
export type FinishReason = "stop" | "length";

/** How one endpoint shapes its choices: chat completions and text completions differ only here. */
export interface OpenAiChoiceFormat {
  /** The `object` of a whole answer, e.g. "chat.completion". */
  object: string;
  /** The `object` of a streamed chunk, e.g. "chat.completion.chunk". */
  chunkObject: string;
  /** Prefix of response ids, e.g. "chatcmpl-". */
  idPrefix: string;
  /** The choice of a whole answer. */
  choice(text: string, finishReason: FinishReason): Record<string, unknown>;
  /**
   * The choice of a streamed chunk: new `text` (first: the stream's first chunk), or, with
   * `text` undefined, the last chunk with its finish reason.
   */
  chunkChoice(text: string | undefined, finishReason: FinishReason | null, first: boolean): Record<string, unknown>;
}

/** What to generate and how to answer. */
export interface GenerationAnswer {
  model: LoadedModel;
  promptTokens: readonly number[];
  sampling: SamplingParams;
  /** Answer as server-sent events, one chunk per piece of text. */
  stream: boolean;
  /** With stream: end with a chunk carrying `usage` and no choices (OpenAI's stream_options.include_usage). */
  includeUsage: boolean;
  format: OpenAiChoiceFormat;
}

/**
 * Runs a generation for an OpenAI request and answers it, whole or streamed. A stream's headers
 * are sent with its first text, so that a request failing before any token (prompt too long, bad
 * token) is still answered with its HTTP status; a failure after that is sent as a last
 * `data: {"error": …}` event, which OpenAI clients raise. A client leaving aborts exchange.signal,
 * which cancels the engine's generation (runGeneration).
 */
export async function serveGeneration(exchange: HttpExchange, answer: GenerationAnswer): Promise<void> {
  const { res, signal } = exchange;
  const { model, format } = answer;
  const envelope = (object: string, choices: unknown[]) => ({
    id, object, created: Math.floor(Date.now() / 1000), model: model.name, system_fingerprint: null, choices,
  });
  const id = format.idPrefix + randomUUID();
  const send = (chunk: unknown) => {
    if (!res.headersSent) {
      // X-Accel-Buffering: a reverse proxy (nginx) in front must not hold the events back.
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    }
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  const usageNull = answer.includeUsage ? { usage: null } : {};
  let first = true;
  let result;
  try {
    result = await runGeneration(model, answer.promptTokens, answer.sampling, signal, (event) => {
      if (!answer.stream || event.text === "") return;
      send({ ...envelope(format.chunkObject, [format.chunkChoice(event.text, null, first)]), ...usageNull });
      first = false;
    });
  } catch (err) {
    if (!res.headersSent || signal.aborted) throw err;
    send(httpErrorOf(err).body);
    res.end();
    return;
  }
  const finishReason: FinishReason = result.reason === "stop" ? "stop" : "length";
  const usage = {
    prompt_tokens: result.promptTokens.length,
    completion_tokens: result.tokens.length,
    total_tokens: result.promptTokens.length + result.tokens.length,
  };
  if (!answer.stream) {
    return sendJson(res, 200, { ...envelope(format.object, [format.choice(result.text, finishReason)]), usage });
  }
  send({ ...envelope(format.chunkObject, [format.chunkChoice(undefined, finishReason, first)]), ...usageNull });
  if (answer.includeUsage) send({ ...envelope(format.chunkObject, []), usage });
  res.end("data: [DONE]\n\n");
}
