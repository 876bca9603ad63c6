import { randomUUID } from "node:crypto";
import type { SamplingParams } from "../../protocol/verbs/samplingParams.js";
import { runGeneration, type TokenLogprobs } from "../generation/runGeneration.js";
import type { LoadedModel } from "../models/LoadedModel.js";
import { sendJson, type HttpExchange } from "./HttpExchange.js";
import { httpErrorOf } from "./httpErrorOf.js";

/** Why a choice ended, in OpenAI's words ("context": a full context is reported as "length", as llama-server does). */
export type FinishReason = "stop" | "length";

/** A generated token's logprobs, with where its text begins in the choice's text (UTF-16 units). */
export interface ChoiceLogprobs extends TokenLogprobs {
  textOffset: number;
}

/**
 * How one endpoint shapes its choices: chat completions and text completions differ only here.
 * `logprobs` are those of the tokens the choice or chunk covers, undefined when not asked for.
 */
export interface OpenAiChoiceFormat {
  /** The `object` of a whole answer, e.g. "chat.completion". */
  object: string;
  /** The `object` of a streamed chunk, e.g. "chat.completion.chunk". */
  chunkObject: string;
  /** Prefix of response ids, e.g. "chatcmpl-". */
  idPrefix: string;
  /** The choice of a whole answer. */
  choice(text: string, finishReason: FinishReason, logprobs: readonly ChoiceLogprobs[] | undefined): Record<string, unknown>;
  /**
   * The choice of a streamed chunk: new `text` (first: the stream's first chunk), or, with
   * `text` undefined, the last chunk with its finish reason.
   */
  chunkChoice(text: string | undefined, finishReason: FinishReason | null, first: boolean,
    logprobs: readonly ChoiceLogprobs[] | undefined): Record<string, unknown>;
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
  /** Report each token's logprob and this many alternatives (0 to 20); undefined: no logprobs. */
  topLogprobs?: number;
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
  const logprobs = answer.topLogprobs === undefined ? undefined : new LogprobsCollector();
  let first = true;
  let result;
  try {
    result = await runGeneration(model, answer.promptTokens, answer.sampling, signal, (event, details) => {
      if (details) logprobs?.add(details);
      // A token whose text is held back (part of a character or of a possible stop string) has
      // its logprobs sent with the next chunk that has text, or with the last one.
      if (!answer.stream || event.text === "") return;
      send({ ...envelope(format.chunkObject, [format.chunkChoice(event.text, null, first, logprobs?.take())]), ...usageNull });
      first = false;
    }, answer.topLogprobs);
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
    return sendJson(res, 200, { ...envelope(format.object, [format.choice(result.text, finishReason, logprobs?.take())]), usage });
  }
  send({ ...envelope(format.chunkObject, [format.chunkChoice(undefined, finishReason, first, logprobs?.take())]), ...usageNull });
  if (answer.includeUsage) send({ ...envelope(format.chunkObject, []), usage });
  res.end("data: [DONE]\n\n");
}

/**
 * Gathers the tokens' logprobs until a choice or chunk takes them, and places each token in the
 * choice's text: its offset is the length of the text of the tokens before it, their bytes
 * decoded as a stream (so a token that starts inside a character is placed at that character).
 */
class LogprobsCollector {
  readonly #decoder = new TextDecoder();
  #offset = 0;
  #pending: ChoiceLogprobs[] = [];

  add(token: TokenLogprobs): void {
    this.#pending.push({ ...token, textOffset: this.#offset });
    this.#offset += this.#decoder.decode(token.piece, { stream: true }).length;
  }

  /** The tokens gathered since the last take. */
  take(): ChoiceLogprobs[] {
    const taken = this.#pending;
    this.#pending = [];
    return taken;
  }
}
