// `ntctl inspect` end to end, as a user runs it: the real TinyStories model and vocabularies.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { findTestData } from "./support/findTestData.js";
import { testDataMissing } from "./support/testDataMissing.js";

const ntctl = fileURLToPath(new URL("../ctl/main.js", import.meta.url));
const run = promisify(execFile);

interface InspectJson {
  version: number;
  architecture: string;
  metadata: Record<string, unknown>;
  tensors: { name: string; type: string; shape: number[]; offset: number; bytes: number }[];
  tokenizer: { model: string; vocabSize: number; merges: number; specialIds: Record<string, number> };
  totalsByType: { type: string; tensors: number; bytes: number }[];
  layers: { layer: number; bytes: number }[];
}

async function inspectJson(file: string): Promise<InspectJson> {
  const { stdout } = await run(process.execPath, [ntctl, "inspect", file, "--json"], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as InspectJson;
}

async function exitCodeOf(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [ntctl, ...args]);
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe("ntctl inspect", () => {
  it("describes stories260K: llama, 48 tensors, 5 blocks, embedding 64", async (t) => {
    const file = findTestData("stories260K.gguf");
    if (!file) return t.skip(testDataMissing());
    const r = await inspectJson(file);
    assert.equal(r.version, 3);
    assert.equal(r.architecture, "llama");
    assert.equal(r.tensors.length, 48);
    assert.equal(r.metadata["llama.block_count"], 5);
    assert.equal(r.metadata["llama.embedding_length"], 64);
    assert.equal(r.metadata["llama.attention.layer_norm_rms_epsilon"], 1e-5);
    assert.deepEqual(r.tensors[0], { name: "token_embd.weight", type: "F32", shape: [64, 512], offset: 14176, bytes: 131072 });
    assert.deepEqual(r.metadata["tokenizer.ggml.tokens"], { itemType: "string", length: 512, head: ["<unk>", "<s>", "</s>", "<0x00>"] });
    assert.deepEqual([r.tokenizer.model, r.tokenizer.vocabSize, r.tokenizer.specialIds["bos"]], ["llama", 512, 1]);
    assert.deepEqual(r.totalsByType, [{ type: "F32", tensors: 48, elements: 292800, bytes: 1171200 }]);
    assert.deepEqual(r.layers.map((l) => l.layer), [0, 1, 2, 3, 4]);
  });

  it("describes both vocabulary-only files", async (t) => {
    const spm = findTestData("vocab/ggml-vocab-llama-spm.gguf");
    const gpt2 = findTestData("vocab/ggml-vocab-gpt-2.gguf");
    if (!spm || !gpt2) return t.skip(testDataMissing());
    const s = await inspectJson(spm);
    assert.deepEqual([s.tensors.length, s.tokenizer.model, s.tokenizer.vocabSize], [0, "llama", 32000]);
    const g = await inspectJson(gpt2);
    assert.deepEqual([g.tensors.length, g.tokenizer.model, g.tokenizer.vocabSize, g.tokenizer.merges], [0, "gpt2", 50257, 50000]);
  });

  it("prints a tensor table and totals for people", async (t) => {
    const file = findTestData("stories260K.gguf");
    if (!file) return t.skip(testDataMissing());
    const { stdout } = await run(process.execPath, [ntctl, "inspect", file]);
    assert.match(stdout, /^\s+token_embd\.weight\s+F32\s+64 x 512\s+14176\s+131072$/m);
    assert.match(stdout, /^\s+block_count\s+5$/m);
    assert.match(stdout, /^\s+blk\.4\s+9\s+181760/m);
  });

  it("exits 4 for a missing file and 6 for a file that is not GGUF, with the code in --json", async () => {
    const missing = await exitCodeOf(["inspect", "/nonexistent/model.gguf", "--json"]);
    assert.equal(missing.code, 4);
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, "NT_E_NOT_FOUND");
    const notGguf = await exitCodeOf(["inspect", ntctl, "--json"]);
    assert.equal(notGguf.code, 6);
    assert.equal((JSON.parse(notGguf.stdout) as { error: { code: string } }).error.code, "NT_E_BAD_GGUF");
  });
});
