import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromHalfBits } from "../scripts/gguf/floatEncoding.js";
import { ggmlTypes, type SupportedGgmlTypeName } from "../scripts/gguf/ggmlTypes.js";
import { randomTensorData, type RandomTensorDataOptions } from "../scripts/gguf/randomTensorData.js";

/**
 * Byte offsets of the f16 scale fields in one block, written out from ggml-common.h here rather
 * than imported, so the test checks the generator against the block structs.
 */
const scaleFields: Record<string, number[]> = {
  Q4_0: [0], Q5_0: [0], Q8_0: [0], Q4_1: [0, 2], Q5_1: [0, 2],
  Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};
const supported = (Object.keys(ggmlTypes) as (keyof typeof ggmlTypes)[])
  .filter((name) => ggmlTypes[name].supported) as SupportedGgmlTypeName[];

function collect(options: RandomTensorDataOptions): { bytes: Buffer; chunks: number[] } {
  const chunks = [...randomTensorData(options)];
  return { bytes: Buffer.concat(chunks), chunks: chunks.map((c) => c.length) };
}

describe("randomTensorData", () => {
  for (const type of supported) {
    const block = ggmlTypes[type];
    const shape = [block.blockSize * 8, 3];
    const size = 8 * 3 * block.typeSize;

    it(`${type}: is deterministic per seed, whatever the chunk size, and sized exactly`, () => {
      const a = collect({ type, shape, seed: 42, chunkBytes: 1000 });
      const b = collect({ type, shape, seed: 42, chunkBytes: 1 << 20 });
      const other = collect({ type, shape, seed: 43 });
      assert.equal(a.bytes.length, size);
      assert.ok(a.bytes.equals(b.bytes), "same bytes for different chunk sizes");
      assert.ok(!a.bytes.equals(other.bytes), "another seed gives other bytes");
      const bound = Math.max(1000, 4 * block.typeSize);
      assert.ok(a.chunks.every((n) => n <= bound), `chunks ${a.chunks.join(",")} stay within ${bound}`);
    });

    const fields = scaleFields[type];
    if (fields !== undefined) {
      it(`${type}: every block's f16 scale fields are finite, positive and within the range`, () => {
        const { bytes } = collect({ type, shape: [block.blockSize * 64, 4], seed: 7, blockScaleRange: [1e-3, 1e-2] });
        for (let at = 0; at < bytes.length; at += block.typeSize) {
          for (const field of fields) {
            const d = fromHalfBits(bytes.readUInt16LE(at + field), "f16");
            // f16 rounding may move a bound by half an ulp (2^-11 relative).
            assert.ok(d >= 1e-3 * (1 - 2 ** -11) && d <= 1e-2 * (1 + 2 ** -11), `block at ${at}, field ${field}: ${d}`);
          }
        }
      });
    }
  }

  it("draws float values uniformly within center ± scale", () => {
    const { bytes } = collect({ type: "F32", shape: [4096], seed: 1, center: 1, scale: 0.1 });
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, 4096);
    assert.ok(values.every((v) => v >= 0.9 - 1e-6 && v <= 1.1 + 1e-6));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    assert.ok(Math.abs(mean - 1) < 0.01, `mean ${mean}`);
    const halves = collect({ type: "BF16", shape: [256], seed: 1, scale: 2 }).bytes;
    for (let i = 0; i < halves.length; i += 2) {
      assert.ok(Math.abs(fromHalfBits(halves.readUInt16LE(i), "bf16")) <= 2);
    }
  });

  it("refuses a bad shape or scale range before yielding anything", () => {
    assert.throws(() => randomTensorData({ type: "Q4_K", shape: [128], seed: 1 }),
      (e: unknown) => (e as { code?: string }).code === "ERR_GGUF_BAD_SHAPE");
    assert.throws(() => randomTensorData({ type: "Q8_0", shape: [32], seed: 1, blockScaleRange: [0, 1] }),
      (e: unknown) => (e as { code?: string }).code === "ERR_GGUF_BAD_OPTION");
  });
});
