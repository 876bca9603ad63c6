// Writes the fuzzer's seed corpus from our own writer (scripts/fuzzGguf.sh runs it): small files
// that reach every branch of the reader — each value type, each tensor type, both versions,
// alignments, vocabulary-only files with and without padding — and, past the reader, the
// tokenizer, hyper-parameter and weight checks: whole tiny llama and qwen2 models with each
// tokenizer, small enough for the fuzzer's 64 KiB inputs.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { everyKindFixture } from "./gguf/everyKindFixture.js";
import { ggmlTypes } from "./gguf/ggmlTypes.js";
import { GgufValue as gguf } from "./gguf/GgufValue.js";
import { GgufWriter } from "./gguf/GgufWriter.js";
import { llamaShapes } from "./gguf/llamaShapes.js";
import { llamaTensorPlan } from "./gguf/llamaTensorPlan.js";
import { llamaWeightMixes } from "./gguf/llamaWeightMixes.js";
import { tensorByteSize } from "./gguf/tensorByteSize.js";
import { tokenizerMetadata, type TokenizerKind } from "./gguf/tokenizerMetadata.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: node dist/scripts/writeFuzzSeeds.js DIR\n");
  process.exit(2);
}
await mkdir(dir, { recursive: true });

const vocabOnly = (padVocabOnly: boolean) => new GgufWriter({ padVocabOnly })
  .addMetadata("tokenizer.ggml.model", gguf.str("llama"))
  .addMetadata("tokenizer.ggml.tokens", gguf.array("string", ["<unk>", "<s>", "</s>", "▁a"]));

/**
 * A whole model as small as the checks allow: one block, n_embd 32, a 300-token vocabulary, Q4_0
 * matrices (zeros: the checks read names, types and shapes, never values), the output tied to the
 * embedding.
 */
function tinyModel(arch: "llama" | "qwen2", tokenizer: TokenizerKind): GgufWriter {
  const shape = { ...llamaShapes.tiny, nEmbd: 32, nFf: 64, nLayer: 1, nHead: 2, nHeadKv: 1, nVocab: 300 };
  const writer = new GgufWriter()
    .addMetadata("general.architecture", gguf.str(arch))
    .addMetadata(`${arch}.context_length`, gguf.u32(256))
    .addMetadata(`${arch}.embedding_length`, gguf.u32(shape.nEmbd))
    .addMetadata(`${arch}.block_count`, gguf.u32(shape.nLayer))
    .addMetadata(`${arch}.feed_forward_length`, gguf.u32(shape.nFf))
    .addMetadata(`${arch}.attention.head_count`, gguf.u32(shape.nHead))
    .addMetadata(`${arch}.attention.head_count_kv`, gguf.u32(shape.nHeadKv))
    .addMetadata(`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(shape.rmsEps));
  for (const [key, value] of tokenizerMetadata(tokenizer, shape.nVocab)) writer.addMetadata(key, value);
  const plan = llamaTensorPlan({
    arch, shapeName: "fuzz", shape, mixName: "q4_0", mix: llamaWeightMixes.q4_0,
    vocab: tokenizer === "spm" ? "spm" : "bpe", tiedOutput: true, ropeScaling: "none",
  });
  for (const entry of plan) writer.addTensor(entry, new Uint8Array(tensorByteSize(ggmlTypes[entry.type], entry.shape)));
  return writer;
}

const seeds: Record<string, GgufWriter> = {
  "every-kind-v3.gguf": everyKindFixture(),
  "every-kind-v2.gguf": everyKindFixture({ version: 2, seed: 7 }),
  "every-kind-align64.gguf": everyKindFixture({ alignment: 64, seed: 3 }),
  "vocab-only-padded.gguf": vocabOnly(true),
  "vocab-only-unpadded.gguf": vocabOnly(false),
  "tiny-llama-spm.gguf": tinyModel("llama", "spm"),
  "tiny-llama-bpe.gguf": tinyModel("llama", "llama-bpe"),
  "tiny-qwen2.gguf": tinyModel("qwen2", "qwen2"),
};
for (const [name, writer] of Object.entries(seeds)) {
  await writeFile(path.join(dir, name), await writer.toBuffer());
}
process.stdout.write(`wrote ${Object.keys(seeds).length} writer seeds to ${dir}\n`);
