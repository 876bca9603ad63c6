// The generator's architecture variants (qwen2, Llama 3 BPE vocabulary, tied output, GQA,
// llama3 RoPE scaling) and big-shape layouts: what llama.cpp needs to find in each file, read
// back by the test parser and by the engine's C++ reader.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { llama3RopeFactors } from "../scripts/gguf/llama3RopeFactors.js";
import { llamaTensorPlan } from "../scripts/gguf/llamaTensorPlan.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "../scripts/gguf/llamaWeightMixes.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { resolveLlamaModel, type RandomLlamaOptions } from "../scripts/gguf/resolveLlamaModel.js";
import { tokenizerMetadata } from "../scripts/gguf/tokenizerMetadata.js";
import { parseGguf, type ParsedArray, type ParsedGguf } from "./support/parseGguf.js";

const scratch = await mkdtemp(join(tmpdir(), "generate-variants-test-"));
after(() => rm(scratch, { recursive: true, force: true }));

interface Generated { parsed: ParsedGguf; bytes: Buffer; dataOffset: number }

async function generate(options: Omit<RandomLlamaOptions, "seed">): Promise<Generated> {
  const writer = randomLlamaWriter({ seed: 7, ...options });
  const bytes = await writer.toBuffer();
  return { parsed: parseGguf(bytes), bytes, dataOffset: writer.layout().dataOffset };
}

const tensor = (g: Generated, name: string) => g.parsed.tensors.find((t) => t.name === name);
const shapeOf = (g: Generated, name: string) => tensor(g, name)?.dims.map(Number);
const meta = (g: Generated, key: string) => g.parsed.metadata.get(key)?.value;
const strings = (g: Generated, key: string) => (meta(g, key) as ParsedArray).values as string[];

function f32Data(g: Generated, name: string): Float32Array {
  const info = tensor(g, name);
  assert.ok(info, name);
  const start = g.dataOffset + Number(info.offset);
  const count = info.dims.reduce((a, b) => a * Number(b), 1);
  return new Float32Array(g.bytes.buffer.slice(g.bytes.byteOffset + start, g.bytes.byteOffset + start + 4 * count));
}

describe("qwen2 variant", () => {
  const qwen2 = generate({ shape: "tiny", mix: "q8_0", arch: "qwen2" });

  it("has the qwen2.* keys llama.cpp's qwen2 loader reads, and no llama.* keys", async () => {
    const g = await qwen2;
    assert.equal(meta(g, "general.architecture"), "qwen2");
    const expected = {
      "qwen2.context_length": 2048, "qwen2.embedding_length": 256, "qwen2.block_count": 4,
      "qwen2.feed_forward_length": 768, "qwen2.attention.head_count": 8, "qwen2.attention.head_count_kv": 4,
      "qwen2.rope.freq_base": 10000, "qwen2.attention.layer_norm_rms_epsilon": Math.fround(1e-5),
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(meta(g, key), value, key);
    assert.deepEqual([...g.parsed.metadata.keys()].filter((k) => k.startsWith("llama.")), []);
  });

  it("has F32 Q/K/V biases of n_embd and n_embd_kv in every block, and no rope_freqs", async () => {
    const g = await qwen2;
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(shapeOf(g, `blk.${i}.attn_q.bias`), [256]);
      assert.deepEqual(shapeOf(g, `blk.${i}.attn_k.bias`), [128]);
      assert.deepEqual(shapeOf(g, `blk.${i}.attn_v.bias`), [128]);
      assert.equal(tensor(g, `blk.${i}.attn_k.bias`)?.typeId, 0);
    }
    assert.equal(g.parsed.tensors.length, 39 + 3 * 4);
    assert.equal(tensor(g, "rope_freqs.weight"), undefined);
    const bias = f32Data(g, "blk.1.attn_v.bias");
    assert.ok(bias.every((v) => Math.abs(v) <= 0.5) && bias.some((v) => Math.abs(v) > 0.1), "biases are random, up to ±0.5");
  });

  it("carries Qwen2's byte-level BPE vocabulary, ChatML control tokens and template", async () => {
    const g = await qwen2;
    assert.equal(meta(g, "tokenizer.ggml.model"), "gpt2");
    assert.equal(meta(g, "tokenizer.ggml.pre"), "qwen2");
    const tokens = strings(g, "tokenizer.ggml.tokens");
    assert.equal(tokens.length, 512);
    assert.deepEqual(tokens.slice(-3), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    assert.deepEqual(((meta(g, "tokenizer.ggml.token_type") as ParsedArray).values as number[]).slice(-4), [1, 3, 3, 3]);
    assert.equal(strings(g, "tokenizer.ggml.merges").length, 512 - 256 - 3);
    assert.equal(meta(g, "tokenizer.ggml.eos_token_id"), 511);
    assert.equal(meta(g, "tokenizer.ggml.bos_token_id"), 509);
    assert.equal(meta(g, "tokenizer.ggml.add_bos_token"), false);
    assert.match(String(meta(g, "tokenizer.chat_template")), /<\|im_start\|>.*<\|im_end\|>/s);
  });
});

describe("llama variants", () => {
  it("uses Llama 3's BPE vocabulary with --vocab bpe: llama-bpe, special tokens at the end, Llama 3 template", async () => {
    const g = await generate({ shape: "tiny", mix: "f16", vocab: "bpe" });
    assert.deepEqual([meta(g, "tokenizer.ggml.model"), meta(g, "tokenizer.ggml.pre")], ["gpt2", "llama-bpe"]);
    const tokens = strings(g, "tokenizer.ggml.tokens");
    assert.deepEqual([tokens[502], tokens[508], tokens[509], tokens[511]],
      ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]);
    assert.deepEqual([meta(g, "tokenizer.ggml.bos_token_id"), meta(g, "tokenizer.ggml.eos_token_id")], [502, 511]);
    assert.equal(meta(g, "tokenizer.ggml.add_bos_token"), true);
    assert.match(String(meta(g, "tokenizer.chat_template")), /<\|start_header_id\|>.*<\|eot_id\|>/s);
  });

  it("lays the 1b/8b vocabulary out like Llama 3's: 128000 BPE tokens, then 256 special tokens", () => {
    const entries = new Map(tokenizerMetadata("llama-bpe", 128256));
    const value = (key: string) => entries.get(key);
    assert.equal(value("tokenizer.ggml.tokens")?.length, 128256);
    assert.equal(value("tokenizer.ggml.merges")?.length, 128000 - 256);
    assert.ok(resolveLlamaModel({ shape: "1b", mix: "f16", seed: 1 }).vocab === "bpe");
    assert.ok(resolveLlamaModel({ shape: "tiny", mix: "f16", seed: 1 }).vocab === "spm");
  });

  it("leaves out output.weight with a tied output head, and widens attn_k/attn_v without GQA", async () => {
    const g = await generate({ shape: "tiny", mix: "q6_k", tiedOutput: true, kvHeads: 8 });
    assert.equal(tensor(g, "output.weight"), undefined);
    assert.deepEqual(shapeOf(g, "token_embd.weight"), [256, 512]);
    assert.equal(g.parsed.tensors.length, 38);
    assert.deepEqual(shapeOf(g, "blk.0.attn_k.weight"), [256, 256]);
    assert.deepEqual(shapeOf(g, "blk.0.attn_v.weight"), [256, 256]);
    assert.equal(meta(g, "llama.attention.head_count_kv"), 8);
    assert.equal(llamaTensorPlan(resolveLlamaModel({ shape: "1b", mix: "f16", seed: 1 }))
      .some((t) => t.name === "output.weight"), false, "1b is tied by default, like Llama 3.2 1B");
    assert.throws(() => resolveLlamaModel({ shape: "tiny", mix: "f16", seed: 1, kvHeads: 3 }),
      (error: Error & { code?: string }) => error.code === "ERR_GGUF_BAD_OPTION");
  });

  it("writes rope_freqs.weight for llama3 scaling with the converter's factors at hand-computed points", async () => {
    const g = await generate({ shape: "tiny", mix: "q4_0", ropeScaling: "llama3" });
    assert.equal(g.parsed.tensors[0]?.name, "rope_freqs.weight");
    assert.deepEqual(shapeOf(g, "rope_freqs.weight"), [16]);
    assert.equal(tensor(g, "rope_freqs.weight")?.typeId, 0);
    // head_dim 32, theta 10000: freq_i = 10000^(-i/16), wavelength 2π/freq_i. i = 8: 2π·100 < 2048
    // → 1; i = 12: 2π·1000 = 6283.2, smooth s = (8192/6283.2 - 1)/3 = 0.10127, 1/((1-s)/8 + s) =
    // 4.6815; i = 15: 2π·10000^(15/16) > 8192 → 8.
    const factors = f32Data(g, "rope_freqs.weight");
    assert.deepEqual([factors[0], factors[8], factors[15]], [1, 1, 8]);
    assert.ok(Math.abs((factors[12] as number) - 4.6815) < 1e-4, String(factors[12]));
    assert.ok(factors.every((f, i) => i === 0 || f >= (factors[i - 1] as number)), "factors grow with wavelength");
  });

  it("computes Llama 3.1 8B's factors (head_dim 128, theta 500000) at hand-computed points", () => {
    const factors = llama3RopeFactors(128, 500000);
    assert.equal(factors.length, 64);
    // wavelength 2π·500000^(i/64): i = 28 → 1956 < 2048 → 1; i = 35 → 8219 > 8192 → 8;
    // i = 32 → 2π·√500000 = 4442.88, s = (8192/4442.88 - 1)/3 = 0.28128, 1/((1-s)/8 + s) = 2.6945.
    assert.deepEqual([factors[0], factors[28], factors[35], factors[63]], [1, 1, 8, 8]);
    assert.ok(Math.abs((factors[32] as number) - 2.6945) < 1e-4, String(factors[32]));
    assert.ok((factors[29] as number) > 1 && (factors[34] as number) < 8);
  });
});

describe("big shapes", () => {
  const sizeOf = (options: Omit<RandomLlamaOptions, "seed">) => randomLlamaWriter({ seed: 1, ...options }).layout().fileSize;

  it("lay out 1b, 8b, 70b and 405b at the sizes of the real Q4_K_M / F16 files", () => {
    // Published Q4_K_M files: Llama 3.2 1B 0.81 GB, Llama 3.1 8B 4.92 GB, 70B 42.5 GB, 405B 243 GB.
    const ranges: [Omit<RandomLlamaOptions, "seed">, number, number][] = [
      [{ shape: "1b", mix: "q4_k_m" }, 0.79e9, 0.82e9],
      [{ shape: "8b", mix: "q4_k_m" }, 4.8e9, 5.0e9],
      [{ shape: "70b", mix: "q4_k_m" }, 40e9, 43e9],
      [{ shape: "405b", mix: "q4_k_m" }, 235e9, 250e9],
      // 70.6 B parameters in 2 bytes each.
      [{ shape: "70b", mix: "f16" }, 140e9, 143e9],
    ];
    for (const [options, low, high] of ranges) {
      const size = sizeOf(options);
      assert.ok(size > low && size < high, `${options.shape} ${options.mix}: ${size} bytes`);
    }
  });
});

describe("C++ reader on generated variants", () => {
  const engine = loadEngine();
  const variants: Omit<RandomLlamaOptions, "seed">[] = [
    { shape: "tiny", mix: "q5_k_m", arch: "qwen2" },
    { shape: "tiny", mix: "q2_k", arch: "qwen2", tiedOutput: true, kvHeads: 2 },
    { shape: "tiny", mix: "bf16", vocab: "bpe" },
    { shape: "tiny", mix: "q3_k", tiedOutput: true, kvHeads: 8, ropeScaling: "llama3" },
    ...(Object.keys(llamaWeightMixes) as LlamaWeightMixName[]).map((mix) => ({ shape: "tiny", mix, arch: "qwen2" }) as const),
  ];
  for (const [i, options] of variants.entries()) {
    it(`parses ${JSON.stringify(options)} as the generator laid it out`, async () => {
      const writer = randomLlamaWriter({ seed: 3, ...options });
      const path = join(scratch, `variant-${i}.gguf`);
      const layout = await writer.writeToFile(path);
      const header = await engine.readGguf(path);
      assert.equal(header.fileBytes, layout.fileSize);
      assert.deepEqual(header.tensors.map((t) => [t.name, t.offset, t.bytes]),
        layout.tensors.map((t) => [t.name, t.fileOffset, t.byteSize]));
      const metadata = new Map(header.metadata.map((e) => [e.key, e.value]));
      assert.equal(metadata.get("general.architecture"), options.arch ?? "llama");
      assert.equal((metadata.get("tokenizer.ggml.tokens") as string[]).length, 512);
    });
  }
});
