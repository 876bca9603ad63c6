/** The most alternatives a token's logprobs list (OpenAI's top_logprobs limit; the engine's kMaxTopLogprobs). */
export const MAX_TOP_LOGPROBS = 20;
