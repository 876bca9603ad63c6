import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { ggmlTypes } from "../scripts/gguf/ggmlTypes.js";
import { llamaShapes } from "../scripts/gguf/llamaShapes.js";
import { llamaTensorPlan } from "../scripts/gguf/llamaTensorPlan.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "../scripts/gguf/llamaWeightMixes.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { syntheticSpmVocab } from "../scripts/gguf/syntheticSpmVocab.js";
import { parseGguf, type ParsedArray } from "./support/parseGguf.js";

const scratch = await mkdtemp(join(tmpdir(), "generate-model-test-"));
after(() => rm(scratch, { recursive: true, force: true }));
const generateModel = fileURLToPath(new URL("../scripts/generateModel.js", import.meta.url));
const run = promisify(execFile);
const typeName = (id: number) => Object.values(ggmlTypes).find((t) => t.id === id)?.name;

describe("llama tensor plan", () => {
  it("lists llama.cpp's tensors with ne-order shapes, norms in F32", () => {
    const plan = llamaTensorPlan(llamaShapes.tiny, llamaWeightMixes.f16);
    assert.equal(plan.length, 3 + 9 * 4);
    const byName = new Map(plan.map((t) => [t.name, t]));
    const expect = (name: string, type: string, shape: number[]) =>
      assert.deepEqual([byName.get(name)?.type, byName.get(name)?.shape], [type, shape], name);
    expect("token_embd.weight", "F16", [256, 512]);
    expect("output_norm.weight", "F32", [256]);
    expect("output.weight", "F16", [256, 512]);
    expect("blk.3.attn_norm.weight", "F32", [256]);
    expect("blk.3.attn_q.weight", "F16", [256, 256]);
    expect("blk.3.attn_k.weight", "F16", [256, 128]);
    expect("blk.3.attn_v.weight", "F16", [256, 128]);
    expect("blk.3.attn_output.weight", "F16", [256, 256]);
    expect("blk.3.ffn_norm.weight", "F32", [256]);
    expect("blk.3.ffn_gate.weight", "F16", [256, 768]);
    expect("blk.3.ffn_up.weight", "F16", [256, 768]);
    expect("blk.3.ffn_down.weight", "F16", [768, 256]);
  });

  it("gives q4_k_m llama.cpp's Q6_K output and Q6_K attn_v / ffn_down in the use_more_bits layers", () => {
    const types = new Map(llamaTensorPlan(llamaShapes.tiny, llamaWeightMixes.q4_k_m).map((t) => [t.name, t.type]));
    assert.equal(types.get("output.weight"), "Q6_K");
    assert.equal(types.get("token_embd.weight"), "Q4_K");
    // 4 layers: n/8 = 0, so layers >= 7*4/8 = 3 and (i - 0) % 3 == 2, i.e. 2 and 3, get more bits.
    assert.deepEqual([0, 1, 2, 3].map((i) => types.get(`blk.${i}.attn_v.weight`)), ["Q4_K", "Q4_K", "Q6_K", "Q6_K"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => types.get(`blk.${i}.ffn_down.weight`)), ["Q4_K", "Q4_K", "Q6_K", "Q6_K"]);
    assert.equal(types.get("blk.2.attn_q.weight"), "Q4_K");
  });
});

describe("synthetic SentencePiece vocabulary", () => {
  it("lays out unk, bos, eos, 256 byte tokens and unique pieces with their token types", () => {
    for (const nVocab of [260, 512, 32000]) {
      const vocab = syntheticSpmVocab(nVocab);
      assert.equal(vocab.tokens.length, nVocab);
      assert.equal(new Set(vocab.tokens).size, nVocab, "all tokens unique");
      assert.deepEqual(vocab.tokens.slice(0, 4), ["<unk>", "<s>", "</s>", "<0x00>"]);
      assert.equal(vocab.tokens[258], "<0xFF>");
      assert.equal(vocab.tokens[259], "\u2581");
      assert.deepEqual([...vocab.tokenTypes.subarray(0, 4)], [2, 3, 3, 6]);
      assert.equal(vocab.tokenTypes[258], 6);
      assert.ok(vocab.tokenTypes.subarray(259).every((t) => t === 1));
      assert.ok(vocab.scores.subarray(260).every((s, i) => s < (vocab.scores[259 + i] as number)), "scores decrease");
    }
    assert.throws(() => syntheticSpmVocab(259), RangeError);
  });
});

describe("generateModel", () => {
  it("writes a file whose size and header match the layout, parseable back", async () => {
    const out = join(scratch, "sub", "tiny-q4_k_m.gguf");
    const { stdout } = await run(process.execPath, [generateModel, "--out", out, "--mix", "q4_k_m", "--seed", "3"]);
    const layout = randomLlamaWriter({ shape: "tiny", mix: "q4_k_m", seed: 3 }).layout();
    assert.equal(stdout.trim(), `wrote ${out}: ${layout.fileSize} bytes, 39 tensors (llama tiny, mix q4_k_m, seed 3)`);
    const file = await readFile(out);
    assert.equal(file.length, layout.fileSize);
    const parsed = parseGguf(file);
    assert.equal(parsed.version, 3);
    assert.equal(Math.ceil(parsed.headerEnd / 32) * 32, layout.dataOffset);
    const meta = (key: string) => parsed.metadata.get(key);
    assert.deepEqual(meta("general.architecture"), { type: 8, value: "llama" });
    assert.deepEqual(meta("general.file_type"), { type: 4, value: 15 });
    assert.deepEqual(meta("llama.embedding_length"), { type: 4, value: 256 });
    assert.deepEqual(meta("llama.attention.head_count_kv"), { type: 4, value: 4 });
    assert.deepEqual(meta("llama.rope.dimension_count"), { type: 4, value: 32 });
    assert.equal(meta("llama.attention.layer_norm_rms_epsilon")?.type, 6);
    assert.deepEqual(meta("tokenizer.ggml.add_bos_token"), { type: 7, value: true });
    assert.equal((meta("tokenizer.ggml.tokens")?.value as ParsedArray).values.length, 512);
    assert.equal((meta("tokenizer.ggml.token_type")?.value as ParsedArray).elementType, 5);
    const plan = llamaTensorPlan(llamaShapes.tiny, llamaWeightMixes.q4_k_m);
    assert.deepEqual(parsed.tensors.map((t) => [t.name, typeName(t.typeId), t.dims.map(Number)]),
      plan.map((t) => [t.name, t.type, t.shape]));
    assert.deepEqual(parsed.tensors.map((t) => Number(t.offset)), layout.tensors.map((t) => t.offset));
  });

  for (const mix of Object.keys(llamaWeightMixes) as LlamaWeightMixName[]) {
    it(`writes the ${mix} mix deterministically per seed`, async () => {
      const a = await randomLlamaWriter({ shape: "tiny", mix, seed: 5 }).toBuffer();
      const b = await randomLlamaWriter({ shape: "tiny", mix, seed: 5 }).toBuffer();
      const c = await randomLlamaWriter({ shape: "tiny", mix, seed: 6 }).toBuffer();
      assert.ok(a.equals(b));
      assert.ok(!a.equals(c));
      const norm = parseGguf(a).tensors.find((t) => t.name === "output_norm.weight");
      const start = randomLlamaWriter({ shape: "tiny", mix, seed: 5 }).layout().dataOffset + Number(norm?.offset);
      const values = new Float32Array(a.buffer.slice(a.byteOffset + start, a.byteOffset + start + 4 * 256));
      assert.ok(values.every((v) => v > 0.85 && v < 1.15), "norm weights near 1");
    });
  }

  it("refuses an unknown mix with a usage error", async () => {
    await assert.rejects(run(process.execPath, [generateModel, "--out", join(scratch, "x.gguf"), "--mix", "q5_k"]),
      (error: { code?: number; stderr?: string }) => error.code === 1 && /Invalid values/.test(error.stderr ?? ""));
  });
});
