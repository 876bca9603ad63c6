// The llama.cpp oracle (test/oracle) proven on real data before anything is compared with it:
// llama.cpp's own tokenizer vectors, and the trained TinyStories model.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import type { TestContext } from "node:test";
import { findTestData } from "./support/findTestData.js";
import { testDataMissing } from "./support/testDataMissing.js";
import type { LlamaCppOracle } from "./oracle/llamaCppOracle.js";
import { loadLlamaCppOracle } from "./oracle/loadLlamaCppOracle.js";

let oracle: Promise<LlamaCppOracle | undefined> | undefined;

/** The oracle, or undefined after marking the test skipped (never under CI=true: then it throws). */
async function oracleOrSkip(t: TestContext): Promise<LlamaCppOracle | undefined> {
  oracle ??= loadLlamaCppOracle();
  const o = await oracle;
  if (o === undefined) t.skip("llama.cpp oracle not installed (npm run oracle:install)");
  return o;
}

/** llama.cpp's tokenizer test vectors: X.gguf.inp strings and X.gguf.out ids (testdata/README.md). */
function readVectors(vocab: string): { text: string; ids: number[] }[] {
  const texts = readFileSync(`${vocab}.inp`, "utf8").split("\n__ggml_vocab_test__\n");
  assert.equal(texts.pop(), "", "the .inp file ends with a separator");
  const lines = readFileSync(`${vocab}.out`, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  assert.equal(lines.length, texts.length);
  return texts.map((text, i) => ({
    text,
    ids: (lines[i] ?? "").split(" ").filter((s) => s !== "").map(Number),
  }));
}

function argmax(row: Float64Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] ?? -Infinity) > (row[best] ?? -Infinity)) best = i;
  return best;
}

describe("llama.cpp oracle", () => {
  after(async () => {
    await (await oracle)?.dispose();
  });

  for (const name of ["llama-spm", "gpt-2"]) {
    it(`tokenizes the ${name} test strings into exactly the ids llama.cpp's vectors list`, async (t) => {
      const vocab = findTestData(`vocab/ggml-vocab-${name}.gguf`);
      if (!vocab) return t.skip(testDataMissing());
      const o = await oracleOrSkip(t);
      if (!o) return;
      const vectors = readVectors(vocab);
      assert.equal(vectors.length, 46);
      for (const { text, ids } of vectors) {
        assert.deepEqual(await o.tokenize(vocab, text, { addSpecial: false, parseSpecial: false }), ids, JSON.stringify(text));
      }
    });
  }

  it("adds BOS for llama-spm only with addSpecial, and reads <s> as BOS only with parseSpecial", async (t) => {
    const vocab = findTestData("vocab/ggml-vocab-llama-spm.gguf");
    if (!vocab) return t.skip(testDataMissing());
    const o = await oracleOrSkip(t);
    if (!o) return;
    assert.deepEqual(await o.tokenize(vocab, "Hello", { addSpecial: true }), [1, 15043]);
    assert.deepEqual(await o.tokenize(vocab, "", { addSpecial: true }), [1]);
    assert.deepEqual(await o.tokenize(vocab, "<s>", { parseSpecial: true }), [1]);
    assert.deepEqual(await o.tokenize(vocab, "<s>"), [529, 29879, 29958]);
  });

  it("detokenizes gpt-2 ids back into the test strings, cleaning spaces before punctuation as llama.cpp does", async (t) => {
    const vocab = findTestData("vocab/ggml-vocab-gpt-2.gguf");
    if (!vocab) return t.skip(testDataMissing());
    const o = await oracleOrSkip(t);
    if (!o) return;
    // gpt-2 sets clean_up_tokenization_spaces, so llama_detokenize drops the space in " ?", " !",
    // " .", " ," and some " '" pairs (llama-vocab.cpp, detokenize); other strings come back verbatim.
    const verbatim = readVectors(vocab).filter(({ text }) => !/ [?!.,']/.test(text));
    assert.equal(verbatim.length, 44);
    for (const { text, ids } of verbatim) assert.equal(await o.detokenize(vocab, ids), text, JSON.stringify(text));
    assert.equal(await o.detokenize(vocab, await o.tokenize(vocab, "you 😁 ? I 's")), "you 😁? I's");
  });

  it("continues 'Once upon a time' with stories260K greedily into the TinyStories opening", async (t) => {
    const model = findTestData("stories260K.gguf");
    if (!model) return t.skip(testDataMissing());
    const o = await oracleOrSkip(t);
    if (!o) return;
    const prompt = await o.tokenize(model, "Once upon a time", { addSpecial: true });
    assert.deepEqual(prompt, [1, 403, 407, 261, 378]);
    const generated = await o.greedy(model, prompt, 32, { threads: 1 });
    assert.equal(generated.length, 32);
    assert.equal(await o.detokenize(model, generated),
      ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw");
  });

  it("gives stories260K log-probabilities that are distributions whose argmax is the greedy token", async (t) => {
    const model = findTestData("stories260K.gguf");
    if (!model) return t.skip(testDataMissing());
    const o = await oracleOrSkip(t);
    if (!o) return;
    const prompt = await o.tokenize(model, "Once upon a time", { addSpecial: true });
    const generated = await o.greedy(model, prompt, 32, { threads: 1 });
    const tokens = [...prompt, ...generated];
    const rows = await o.logProbs(model, tokens, { threads: 1 });
    assert.equal(rows.length, tokens.length);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.length, 512);
      const sum = row.reduce((s, lp) => s + Math.exp(lp), 0);
      assert.ok(Math.abs(sum - 1) <= 1e-6, `position ${i}: probabilities sum to ${sum}`);
    }
    for (let i = prompt.length - 1; i < tokens.length - 1; i++) {
      assert.equal(argmax(rows[i] ?? new Float64Array()), tokens[i + 1], `position ${i}`);
    }
    // ggml splits work by output rows, so the thread count does not change a single bit.
    assert.deepEqual(await o.logProbs(model, tokens, { threads: 2 }), rows);
  });
});
