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
