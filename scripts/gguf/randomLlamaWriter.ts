import { describeLlamaModel } from "./describeLlamaModel.js";
import { GgufValue as gguf } from "./GgufValue.js";
import { GgufWriter } from "./GgufWriter.js";
import { llama3RopeFactors } from "./llama3RopeFactors.js";
import { llamaTensorPlan, type LlamaTensorPlanEntry } from "./llamaTensorPlan.js";
import { quantizedScaleRange } from "./quantizedScaleRange.js";
import { randomTensorData } from "./randomTensorData.js";
import { resolveLlamaModel, type LlamaModelSpec, type RandomLlamaOptions } from "./resolveLlamaModel.js";
import { tokenizerMetadata } from "./tokenizerMetadata.js";

/** GGML_QNT_VERSION (ggml.h), which llama.cpp's converters write as general.quantization_version. */
const quantizationVersion = 2;

/**
 * A GgufWriter holding a random-weight llama-family model (llama or qwen2, see
 * {@link RandomLlamaOptions}): the `<arch>.*` hyperparameters, a synthetic vocabulary, and every
 * tensor of {@link llamaTensorPlan} with a seeded random source (generated while writing, so
 * the model is never in memory; `layout()` costs no weights at all, even for 405b).
 */
export function randomLlamaWriter(options: RandomLlamaOptions): GgufWriter {
  const spec = resolveLlamaModel(options);
  const writer = new GgufWriter();
  for (const [key, value] of modelMetadata(spec, options.seed)) writer.addMetadata(key, value);
  const tokenizer = spec.vocab === "spm" ? "spm" : spec.arch === "qwen2" ? "qwen2" : "llama-bpe";
  for (const [key, value] of tokenizerMetadata(tokenizer, spec.shape.nVocab)) writer.addMetadata(key, value);
  for (const entry of llamaTensorPlan(spec)) {
    writer.addTensor(entry, entry.kind === "rope_freqs" ? ropeFreqsBytes(spec) : () => randomWeights(entry, options.seed));
  }
  return writer;
}

function modelMetadata(spec: LlamaModelSpec, seed: number): [string, gguf][] {
  const { shape, arch } = spec;
  const entries: [string, gguf][] = [
    ["general.architecture", gguf.str(arch)],
    ["general.name", gguf.str(`random weights (${describeLlamaModel(spec)}, seed ${seed})`)],
    ["general.file_type", gguf.u32(spec.mix.fileType)],
    ["general.quantization_version", gguf.u32(quantizationVersion)],
    [`${arch}.context_length`, gguf.u32(shape.contextLength)],
    [`${arch}.embedding_length`, gguf.u32(shape.nEmbd)],
    [`${arch}.block_count`, gguf.u32(shape.nLayer)],
    [`${arch}.feed_forward_length`, gguf.u32(shape.nFf)],
    [`${arch}.attention.head_count`, gguf.u32(shape.nHead)],
    [`${arch}.attention.head_count_kv`, gguf.u32(shape.nHeadKv)],
    [`${arch}.rope.freq_base`, gguf.f32(shape.ropeFreqBase)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(shape.rmsEps)],
  ];
  // llama.cpp's converter writes these two for llama only; its qwen2 loader takes n_rot from
  // head_dim and n_vocab from the token list.
  if (arch === "llama") {
    entries.push(
      ["llama.rope.dimension_count", gguf.u32(shape.nEmbd / shape.nHead)],
      ["llama.vocab_size", gguf.u32(shape.nVocab)],
    );
  }
  return entries;
}

function ropeFreqsBytes(spec: LlamaModelSpec): Uint8Array {
  const factors = llama3RopeFactors(spec.shape.nEmbd / spec.shape.nHead, spec.shape.ropeFreqBase);
  return new Uint8Array(factors.buffer, factors.byteOffset, factors.byteLength);
}

/**
 * Norms near 1; biases in ±0.5, as large as a matrix's outputs, so that a forward pass that
 * drops them is caught; float matrices uniform in ±1/sqrt(fan-in) (ne[0] is the contracted
 * dim), so activations keep their scale through a layer; quantized matrices with block scales
 * chosen for about the same RMS ({@link quantizedScaleRange}).
 */
function randomWeights(entry: LlamaTensorPlanEntry, seed: number): Generator<Uint8Array> {
  const tensorSeed = fnv1a(entry.name, seed);
  if (entry.kind === "norm") return randomTensorData({ ...entry, seed: tensorSeed, center: 1, scale: 0.1 });
  if (entry.kind === "bias") return randomTensorData({ ...entry, seed: tensorSeed, scale: 0.5 });
  const fanIn = entry.shape[0] as number;
  return randomTensorData({
    ...entry, seed: tensorSeed, scale: 1 / Math.sqrt(fanIn), blockScaleRange: quantizedScaleRange(entry.type, fanIn),
  });
}

/** FNV-1a over the name's UTF-16 code units, started from the model seed: a per-tensor seed. */
function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
