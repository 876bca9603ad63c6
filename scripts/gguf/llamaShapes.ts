/** The hyperparameters of a llama-architecture model, as the GGUF `llama.*` keys carry them. */
export interface LlamaShape {
  /** Embedding width (`llama.embedding_length`). */
  readonly nEmbd: number;
  /** Feed-forward width (`llama.feed_forward_length`). */
  readonly nFf: number;
  /** Transformer blocks (`llama.block_count`). */
  readonly nLayer: number;
  /** Query heads (`llama.attention.head_count`); head_dim = nEmbd / nHead. */
  readonly nHead: number;
  /** Key/value heads (`llama.attention.head_count_kv`); fewer than nHead means GQA. */
  readonly nHeadKv: number;
  /** Vocabulary size (`llama.vocab_size`, and the rows of token_embd and output). */
  readonly nVocab: number;
  /** `llama.context_length`. */
  readonly contextLength: number;
  /** `llama.rope.freq_base` (theta). */
  readonly ropeFreqBase: number;
  /** `llama.attention.layer_norm_rms_epsilon`. */
  readonly rmsEps: number;
}

/**
 * Named shapes for the model generator; one line each. Every width is a multiple of 256 so
 * that every mix, K-quants included, can be written (a K-quant block spans 256 elements of
 * ne[0]). `tiny` is stories260K-like (8 heads, 4 KV heads, 512-token vocab, context 2048)
 * widened from n_embd 64 / n_ff 172 to 256 / 768 for that reason.
 */
export const llamaShapes = {
  tiny: { nEmbd: 256, nFf: 768, nLayer: 4, nHead: 8, nHeadKv: 4, nVocab: 512, contextLength: 2048, ropeFreqBase: 10000, rmsEps: 1e-5 },
} as const satisfies Record<string, LlamaShape>;

/** The name of a shape in {@link llamaShapes}. */
export type LlamaShapeName = keyof typeof llamaShapes;
