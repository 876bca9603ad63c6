import { GgufValue as gguf } from "./GgufValue.js";
import { GgufWriter } from "./GgufWriter.js";
import { llamaShapes, type LlamaShape, type LlamaShapeName } from "./llamaShapes.js";
import { llamaTensorPlan, type LlamaTensorPlanEntry } from "./llamaTensorPlan.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "./llamaWeightMixes.js";
import { randomTensorData } from "./randomTensorData.js";
import { syntheticSpmVocab } from "./syntheticSpmVocab.js";

/** What {@link randomLlamaWriter} builds. */
export interface RandomLlamaOptions {
  /** A shape from {@link llamaShapes}. */
  shape: LlamaShapeName;
  /** A mix from {@link llamaWeightMixes}: which types the matrices get. */
  mix: LlamaWeightMixName;
  /** Seed of all weights; same seed, shape and mix give the same file. */
  seed: number;
}

/** GGML_QNT_VERSION (ggml.h), which llama.cpp's converters write as general.quantization_version. */
const quantizationVersion = 2;

/**
 * A GgufWriter holding a random-weight llama model: the llama.* hyperparameters, a synthetic
 * SentencePiece vocabulary, and every tensor of {@link llamaTensorPlan} with a seeded random
 * source (generated while writing, so the model is never in memory).
 */
export function randomLlamaWriter(options: RandomLlamaOptions): GgufWriter {
  const shape: LlamaShape = llamaShapes[options.shape];
  const mix = llamaWeightMixes[options.mix];
  const writer = new GgufWriter();
  addModelMetadata(writer, shape, options, mix.fileType);
  addVocabulary(writer, shape.nVocab);
  for (const entry of llamaTensorPlan(shape, mix)) {
    writer.addTensor(entry, () => randomWeights(entry, options.seed));
  }
  return writer;
}

function addModelMetadata(writer: GgufWriter, shape: LlamaShape, options: RandomLlamaOptions, fileType: number): void {
  writer
    .addMetadata("general.architecture", gguf.str("llama"))
    .addMetadata("general.name", gguf.str(`random weights, llama ${options.shape} ${options.mix}, seed ${options.seed}`))
    .addMetadata("general.file_type", gguf.u32(fileType))
    .addMetadata("general.quantization_version", gguf.u32(quantizationVersion))
    .addMetadata("llama.context_length", gguf.u32(shape.contextLength))
    .addMetadata("llama.embedding_length", gguf.u32(shape.nEmbd))
    .addMetadata("llama.block_count", gguf.u32(shape.nLayer))
    .addMetadata("llama.feed_forward_length", gguf.u32(shape.nFf))
    .addMetadata("llama.attention.head_count", gguf.u32(shape.nHead))
    .addMetadata("llama.attention.head_count_kv", gguf.u32(shape.nHeadKv))
    .addMetadata("llama.rope.dimension_count", gguf.u32(shape.nEmbd / shape.nHead))
    .addMetadata("llama.rope.freq_base", gguf.f32(shape.ropeFreqBase))
    .addMetadata("llama.attention.layer_norm_rms_epsilon", gguf.f32(shape.rmsEps))
    .addMetadata("llama.vocab_size", gguf.u32(shape.nVocab));
}

function addVocabulary(writer: GgufWriter, nVocab: number): void {
  const vocab = syntheticSpmVocab(nVocab);
  writer
    .addMetadata("tokenizer.ggml.model", gguf.str("llama"))
    .addMetadata("tokenizer.ggml.tokens", gguf.array("string", vocab.tokens))
    .addMetadata("tokenizer.ggml.scores", gguf.array("f32", vocab.scores))
    .addMetadata("tokenizer.ggml.token_type", gguf.array("i32", vocab.tokenTypes))
    .addMetadata("tokenizer.ggml.bos_token_id", gguf.u32(1))
    .addMetadata("tokenizer.ggml.eos_token_id", gguf.u32(2))
    .addMetadata("tokenizer.ggml.unknown_token_id", gguf.u32(0))
    .addMetadata("tokenizer.ggml.add_bos_token", gguf.bool(true))
    .addMetadata("tokenizer.ggml.add_eos_token", gguf.bool(false));
}

/**
 * Norms near 1; float matrices uniform in ±1/sqrt(fan-in) (ne[0] is the contracted dim), so
 * activations keep their scale through a layer; quantized matrices use randomTensorData's
 * default block scales.
 */
function randomWeights(entry: LlamaTensorPlanEntry, seed: number): Generator<Uint8Array> {
  const tensorSeed = fnv1a(entry.name, seed);
  if (entry.kind === "norm") return randomTensorData({ ...entry, seed: tensorSeed, center: 1, scale: 0.1 });
  return randomTensorData({ ...entry, seed: tensorSeed, scale: 1 / Math.sqrt(entry.shape[0] as number) });
}

/** FNV-1a over the name's UTF-16 code units, started from the model seed: a per-tensor seed. */
function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
