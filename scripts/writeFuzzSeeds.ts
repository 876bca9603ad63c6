// Writes the fuzzer's seed corpus from our own writer (scripts/fuzzGguf.sh runs it): small files
// that reach every branch of the reader — each value type, each tensor type, both versions,
// alignments, vocabulary-only files with and without padding.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { everyKindFixture } from "./gguf/everyKindFixture.js";
import { GgufValue as gguf } from "./gguf/GgufValue.js";
import { GgufWriter } from "./gguf/GgufWriter.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: node dist/scripts/writeFuzzSeeds.js DIR\n");
  process.exit(2);
}
await mkdir(dir, { recursive: true });

const vocabOnly = (padVocabOnly: boolean) => new GgufWriter({ padVocabOnly })
  .addMetadata("tokenizer.ggml.model", gguf.str("llama"))
  .addMetadata("tokenizer.ggml.tokens", gguf.array("string", ["<unk>", "<s>", "</s>", "▁a"]));

const seeds: Record<string, GgufWriter> = {
  "every-kind-v3.gguf": everyKindFixture(),
  "every-kind-v2.gguf": everyKindFixture({ version: 2, seed: 7 }),
  "every-kind-align64.gguf": everyKindFixture({ alignment: 64, seed: 3 }),
  "vocab-only-padded.gguf": vocabOnly(true),
  "vocab-only-unpadded.gguf": vocabOnly(false),
};
for (const [name, writer] of Object.entries(seeds)) {
  await writeFile(path.join(dir, name), await writer.toBuffer());
}
process.stdout.write(`wrote ${Object.keys(seeds).length} writer seeds to ${dir}\n`);
