import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { ggmlTypes } from "../scripts/gguf/ggmlTypes.js";
import { llamaTensorPlan } from "../scripts/gguf/llamaTensorPlan.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "../scripts/gguf/llamaWeightMixes.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { resolveLlamaModel, type RandomLlamaOptions } from "../scripts/gguf/resolveLlamaModel.js";
import { syntheticSpmVocab } from "../scripts/gguf/syntheticSpmVocab.js";
import { parseGguf, type ParsedArray } from "./support/parseGguf.js";

const scratch = await mkdtemp(join(tmpdir(), "generate-model-test-"));
after(() => rm(scratch, { recursive: true, force: true }));
const generateModel = fileURLToPath(new URL("../scripts/generateModel.js", import.meta.url));
const run = promisify(execFile);
const typeName = (id: number) => Object.values(ggmlTypes).find((t) => t.id === id)?.name;
const mixNames = Object.keys(llamaWeightMixes) as LlamaWeightMixName[];
const planOf = (options: Omit<RandomLlamaOptions, "seed">) => llamaTensorPlan(resolveLlamaModel({ seed: 1, ...options }));
const typesOf = (options: Omit<RandomLlamaOptions, "seed">) => new Map(planOf(options).map((t) => [t.name, t.type]));

/** Every key llama.cpp's llama loader and vocabulary read from a generated SentencePiece file. */
const llamaSpmKeys = [
  "general.architecture", "general.name", "general.file_type", "general.quantization_version",
  "llama.context_length", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
  "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.dimension_count",
  "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon", "llama.vocab_size",
  "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
  "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
  "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
];

describe("llama tensor plan", () => {
  it("lists llama.cpp's tensors with ne-order shapes, norms in F32", () => {
    const plan = planOf({ shape: "tiny", mix: "f16" });
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

  for (const mix of mixNames.filter((m) => !m.endsWith("_m"))) {
    it(`puts every matrix of the ${mix} mix, token_embd and output included, in one type and norms in F32`, () => {
      const plan = planOf({ shape: "tiny", mix });
      const matrixTypes = new Set(plan.filter((t) => t.kind === "matrix").map((t) => t.type));
      assert.deepEqual([...matrixTypes], [mix.toUpperCase()]);
      assert.ok(plan.filter((t) => t.kind === "norm").every((t) => t.type === "F32"));
    });
  }

  it("gives q4_k_m llama.cpp's Q6_K output and Q6_K attn_v / ffn_down in the use_more_bits layers", () => {
    const types = typesOf({ shape: "tiny", mix: "q4_k_m" });
    assert.equal(types.get("output.weight"), "Q6_K");
    assert.equal(types.get("token_embd.weight"), "Q4_K");
    // 4 layers: n/8 = 0, so layers >= 7*4/8 = 3 and (i - 0) % 3 == 2, i.e. 2 and 3, get more bits.
    assert.deepEqual([0, 1, 2, 3].map((i) => types.get(`blk.${i}.attn_v.weight`)), ["Q4_K", "Q4_K", "Q6_K", "Q6_K"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => types.get(`blk.${i}.ffn_down.weight`)), ["Q4_K", "Q4_K", "Q6_K", "Q6_K"]);
    assert.equal(types.get("blk.2.attn_q.weight"), "Q4_K");
  });

  it("gives q5_k_m Q5_K with llama.cpp's Q6_K rule for output, attn_v and ffn_down", () => {
    const types = typesOf({ shape: "tiny", mix: "q5_k_m" });
    assert.deepEqual([types.get("output.weight"), types.get("token_embd.weight")], ["Q6_K", "Q5_K"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => types.get(`blk.${i}.attn_v.weight`)), ["Q5_K", "Q5_K", "Q6_K", "Q6_K"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => types.get(`blk.${i}.ffn_down.weight`)), ["Q5_K", "Q5_K", "Q6_K", "Q6_K"]);
    assert.deepEqual([types.get("blk.1.attn_k.weight"), types.get("blk.1.ffn_up.weight")], ["Q5_K", "Q5_K"]);
  });

  it("quantizes a tied token_embd as the output head, and 70B's attn_v at least Q5_K, as llama.cpp's Q4_K_M does", () => {
    const tied = typesOf({ shape: "1b", mix: "q4_k_m" });
    assert.equal(tied.get("token_embd.weight"), "Q6_K");
    assert.equal(tied.has("output.weight"), false);
    // 80 layers: n/8 = 10, more bits for i < 10, i >= 70, and (i - 10) % 3 == 2.
    const big = typesOf({ shape: "70b", mix: "q4_k_m" });
    assert.deepEqual([0, 10, 11, 12, 70].map((i) => big.get(`blk.${i}.attn_v.weight`)), ["Q6_K", "Q5_K", "Q5_K", "Q6_K", "Q6_K"]);
    assert.deepEqual([0, 10, 12].map((i) => big.get(`blk.${i}.ffn_down.weight`)), ["Q6_K", "Q4_K", "Q6_K"]);
    // Without GQA llama.cpp does not classify 80 layers as 70B.
    assert.equal(typesOf({ shape: "70b", mix: "q4_k_m", kvHeads: 64 }).get("blk.10.attn_v.weight"), "Q4_K");
  });

  it("refuses a matrix whose ne[0] is not a whole number of its type's blocks, naming mix, tensor and type", () => {
    const spec = resolveLlamaModel({ shape: "tiny", mix: "q4_k", seed: 1 });
    const narrow = { ...spec, shape: { ...spec.shape, nEmbd: 320, nHead: 5, nHeadKv: 5 } };
    assert.throws(() => llamaTensorPlan(narrow), (error: Error & { code?: string }) =>
      error.code === "ERR_GGUF_BAD_SHAPE" && /q4_k/.test(error.message) && /token_embd\.weight/.test(error.message)
      && /Q4_K/.test(error.message));
    const q40 = resolveLlamaModel({ shape: "tiny", mix: "q4_0", seed: 1 });
    assert.equal(llamaTensorPlan({ ...q40, shape: narrow.shape }).length, 39, "320 is a multiple of Q4_0's 32");
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
  it("writes a file whose size and header match the layout, parseable back, with a one-line summary", async () => {
    const out = join(scratch, "sub", "tiny-q4_k_m.gguf");
    const { stdout, stderr } = await run(process.execPath, [generateModel, "--out", out, "--mix", "q4_k_m", "--seed", "3"]);
    const layout = randomLlamaWriter({ shape: "tiny", mix: "q4_k_m", seed: 3 }).layout();
    assert.equal(stdout, `wrote ${out}: ${layout.fileSize} bytes, 39 tensors `
      + "(llama tiny q4_k_m, spm vocab, 8/4 heads, separate output, rope none, seed 3)\n");
    assert.equal(stderr, "", "no progress bar when stderr is not a TTY");
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
    const plan = planOf({ shape: "tiny", mix: "q4_k_m" });
    assert.deepEqual(parsed.tensors.map((t) => [t.name, typeName(t.typeId), t.dims.map(Number)]),
      plan.map((t) => [t.name, t.type, t.shape]));
    assert.deepEqual(parsed.tensors.map((t) => Number(t.offset)), layout.tensors.map((t) => t.offset));
  });

  for (const mix of mixNames) {
    it(`writes the ${mix} mix on tiny deterministically per seed, laid out as planned with complete metadata`, async () => {
      const a = await randomLlamaWriter({ shape: "tiny", mix, seed: 5 }).toBuffer();
      const b = await randomLlamaWriter({ shape: "tiny", mix, seed: 5 }).toBuffer();
      const c = await randomLlamaWriter({ shape: "tiny", mix, seed: 6 }).toBuffer();
      assert.ok(a.equals(b));
      assert.ok(!a.equals(c));
      const layout = randomLlamaWriter({ shape: "tiny", mix, seed: 5 }).layout();
      assert.equal(a.length, layout.fileSize);
      const parsed = parseGguf(a);
      assert.deepEqual(parsed.tensors.map((t) => [t.name, typeName(t.typeId), t.dims.map(Number), Number(t.offset)]),
        planOf({ shape: "tiny", mix }).map((t, i) => [t.name, t.type, t.shape, layout.tensors[i]?.offset]));
      assert.deepEqual(llamaSpmKeys.filter((key) => !parsed.metadata.has(key)), [], "missing keys");
      assert.equal(parsed.metadata.get("general.file_type")?.value, llamaWeightMixes[mix].fileType);
      assert.match(String(parsed.metadata.get("general.name")?.value), new RegExp(`^random weights \\(llama tiny ${mix},`));
      const norm = parsed.tensors.find((t) => t.name === "output_norm.weight");
      const start = layout.dataOffset + Number(norm?.offset);
      const values = new Float32Array(a.buffer.slice(a.byteOffset + start, a.byteOffset + start + 4 * 256));
      assert.ok(values.every((v) => v > 0.85 && v < 1.15), "norm weights near 1");
    });
  }

  it("prints the layout and size with --dry-run and writes nothing", async () => {
    const out = join(scratch, "dry.gguf");
    const { stdout } = await run(process.execPath,
      [generateModel, "--dry-run", "--out", out, "--shape", "8b", "--mix", "q4_k_m"]);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines[0], "llama 8b q4_k_m, bpe vocab, 32/8 heads, separate output, rope llama3");
    const size = randomLlamaWriter({ shape: "8b", mix: "q4_k_m", seed: 1 }).layout().fileSize;
    assert.match(lines.at(-1) ?? "", new RegExp(`file ${size} bytes`));
    assert.match(stdout, /292 tensors: Q4_K ×193 .*Q6_K ×33 .*F32 ×66/);
    await assert.rejects(access(out));
  });

  it("refuses an unknown mix, a missing --out, and a combination llama.cpp would not load", async () => {
    const fails = async (args: string[], pattern: RegExp) => assert.rejects(run(process.execPath, [generateModel, ...args]),
      (error: { code?: number; stderr?: string }) => error.code === 1 && pattern.test(error.stderr ?? ""), args.join(" "));
    await fails(["--out", join(scratch, "x.gguf"), "--mix", "q4_k_s"], /Invalid values/);
    await fails(["--mix", "q8_0"], /--out is required/);
    await fails(["--out", join(scratch, "x.gguf"), "--arch", "qwen2", "--vocab", "spm"], /generateModel: qwen2 uses/);
    await fails(["--out", join(scratch, "x.gguf"), "--arch", "qwen2", "--rope-scaling", "llama3"], /only for llama/);
    await fails(["--out", join(scratch, "x.gguf"), "--kv-heads", "3"], /kv heads 3/);
  });
});
