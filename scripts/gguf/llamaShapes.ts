/** The hyperparameters of a llama-family model, as the GGUF `<arch>.*` keys carry them, and its defaults. */
export interface LlamaShape {
  /** Embedding width (`<arch>.embedding_length`). */
  readonly nEmbd: number;
  /** Feed-forward width (`<arch>.feed_forward_length`). */
  readonly nFf: number;
  /** Transformer blocks (`<arch>.block_count`). */
  readonly nLayer: number;
  /** Query heads (`<arch>.attention.head_count`); head_dim = nEmbd / nHead. */
  readonly nHead: number;
  /** Key/value heads (`<arch>.attention.head_count_kv`); fewer than nHead means GQA. */
  readonly nHeadKv: number;
  /** Vocabulary size (`<arch>.vocab_size`, and the rows of token_embd and output). */
  readonly nVocab: number;
  /** `<arch>.context_length`. */
  readonly contextLength: number;
  /** `<arch>.rope.freq_base` (theta). */
  readonly ropeFreqBase: number;
  /** `<arch>.attention.layer_norm_rms_epsilon`. */
  readonly rmsEps: number;
  /** Whether the real model ties the output head to token_embd (no output.weight); the generator's default. */
  readonly tiedOutput: boolean;
  /** The real model's RoPE scaling; the generator's default. */
  readonly ropeScaling: "none" | "llama3";
  /** The real model's tokenizer: SentencePiece ("spm") or byte-level BPE ("bpe"); the generator's default for llama. */
  readonly vocab: "spm" | "bpe";
}

/**
 * Named shapes for the model generator; one line each. Every width is a multiple of 256 so
 * that every mix, K-quants included, can be written (a K-quant block spans 256 elements of
 * ne[0]). `tiny` is stories260K-like (8 heads, 4 KV heads, 512-token vocab, context 2048)
 * widened from n_embd 64 / n_ff 172 to 256 / 768 for that reason. The others have the
 * dimensions of the real models, from their Hugging Face config.json: Llama 3.2 1B (tied
 * embeddings), Llama 3.1 8B, 70B and 405B (llama3 RoPE scaling, 128k context). Llama 3.2 1B
 * also ships llama3 scaling (with factor 32), left off here so that 1b and 8b differ in it.
 */
export const llamaShapes = {
  tiny: { nEmbd: 256, nFf: 768, nLayer: 4, nHead: 8, nHeadKv: 4, nVocab: 512, contextLength: 2048, ropeFreqBase: 10000, rmsEps: 1e-5, tiedOutput: false, ropeScaling: "none", vocab: "spm" },
  "1b": { nEmbd: 2048, nFf: 8192, nLayer: 16, nHead: 32, nHeadKv: 8, nVocab: 128256, contextLength: 131072, ropeFreqBase: 500000, rmsEps: 1e-5, tiedOutput: true, ropeScaling: "none", vocab: "bpe" },
  "8b": { nEmbd: 4096, nFf: 14336, nLayer: 32, nHead: 32, nHeadKv: 8, nVocab: 128256, contextLength: 131072, ropeFreqBase: 500000, rmsEps: 1e-5, tiedOutput: false, ropeScaling: "llama3", vocab: "bpe" },
  "70b": { nEmbd: 8192, nFf: 28672, nLayer: 80, nHead: 64, nHeadKv: 8, nVocab: 128256, contextLength: 131072, ropeFreqBase: 500000, rmsEps: 1e-5, tiedOutput: false, ropeScaling: "llama3", vocab: "bpe" },
  "405b": { nEmbd: 16384, nFf: 53248, nLayer: 126, nHead: 128, nHeadKv: 8, nVocab: 128256, contextLength: 131072, ropeFreqBase: 500000, rmsEps: 1e-5, tiedOutput: false, ropeScaling: "llama3", vocab: "bpe" },
} as const satisfies Record<string, LlamaShape>;

/** The name of a shape in {@link llamaShapes}. */
export type LlamaShapeName = keyof typeof llamaShapes;
