import type { GgufTensorInfo } from "../../cuda-engine/js/EngineBinding.js";

/** A metadata value as `ntctl inspect --json` prints it: long arrays become a summary. */
export type InspectValue =
  | number | string | boolean | InspectValue[]
  | { itemType: string; length: number; head: InspectValue[] };

/** Special token ids and what the tokenizer is, from the tokenizer.ggml.* keys. */
export interface TokenizerSummary {
  /** tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE), ... */
  model: string | null;
  /** tokenizer.ggml.pre: the BPE pre-tokenizer ("llama-bpe", "qwen2", ...). */
  pre: string | null;
  vocabSize: number;
  merges: number;
  /** Special ids by role ("bos", "eos", "unknown", "padding", ...), from tokenizer.ggml.<role>_token_id. */
  specialIds: Record<string, number>;
  addBos: boolean | null;
  addEos: boolean | null;
  chatTemplate: boolean;
}

/** Bytes and element counts of the tensors of one ggml type. */
export interface TypeTotal {
  type: string;
  tensors: number;
  elements: number;
  bytes: number;
}

/** The tensors of one transformer block (blk.N.*). */
export interface LayerTotal {
  layer: number;
  tensors: number;
  bytes: number;
}

/** Everything `ntctl inspect` reports about a GGUF file. */
export interface InspectReport {
  file: string;
  version: number;
  fileBytes: number;
  alignment: number;
  dataOffset: number;
  architecture: string | null;
  name: string | null;
  /** The architecture's scalar keys without their "<arch>." prefix (block_count, embedding_length, ...). */
  hyperParameters: Record<string, InspectValue>;
  tokenizer: TokenizerSummary;
  metadata: Record<string, InspectValue>;
  tensors: GgufTensorInfo[];
  parameters: number;
  tensorBytes: number;
  totalsByType: TypeTotal[];
  layers: LayerTotal[];
  /** Bytes of tensors outside any block (embeddings, output head, final norm). */
  nonLayerBytes: number;
}
