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
/** The min field over d, from the dequantization formulas below: m = −d·E[q], dmin = d·E[q]. */
const centringRatio: Record<string, number> = { Q4_1: -7.5, Q5_1: -15.5, Q2_K: 1.5, Q4_K: 7.5, Q5_K: 15.5 };

const half = (b: Buffer, at: number): number => fromHalfBits(b.readUInt16LE(at), "f16");

/** ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j from a K-quant's scales[12]. */
function scaleMinK4(j: number, s: Buffer): [number, number] {
  const at = (i: number): number => s.readUInt8(i);
  if (j < 4) return [at(j) & 63, at(j + 4) & 63];
  return [(at(j + 4) & 0xf) | ((at(j - 4) >> 6) << 4), (at(j + 4) >> 4) | ((at(j) >> 6) << 4)];
}

/**
 * Dequantizers of the types with a min field, written from ggml's dequantize_row_* (ggml-quants.c)
 * for this test: the generator's blocks are checked as ggml reads them.
 */
const dequantizers: Record<string, (b: Buffer) => number[]> = {
  Q4_1: (b) => {
    const d = half(b, 0), m = half(b, 2), out: number[] = [];
    for (let j = 0; j < 16; j++) out.push((b.readUInt8(4 + j) & 0xf) * d + m, (b.readUInt8(4 + j) >> 4) * d + m);
    return out;
  },
  Q5_1: (b) => {
    const d = half(b, 0), m = half(b, 2), qh = b.readUInt32LE(4), out: number[] = [];
    for (let j = 0; j < 16; j++) {
      out.push(((b.readUInt8(8 + j) & 0xf) | (((qh >>> j) << 4) & 0x10)) * d + m);
      out.push(((b.readUInt8(8 + j) >> 4) | ((qh >>> (j + 12)) & 0x10)) * d + m);
    }
    return out;
  },
  Q2_K: (b) => {
    const d = half(b, 80), dmin = half(b, 82), out: number[] = [];
    let is = 0;
    for (let n = 0; n < 2; n++) {
      for (let shift = 0; shift < 8; shift += 2) {
        for (const half16 of [0, 16]) {
          const sc = b.readUInt8(is++);
          for (let l = 0; l < 16; l++) out.push(d * (sc & 0xf) * ((b.readUInt8(16 + 32 * n + half16 + l) >> shift) & 3) - dmin * (sc >> 4));
        }
      }
    }
    return out;
  },
  Q4_K: (b) => kQuantWithMin(b, 16, 0),
  Q5_K: (b) => kQuantWithMin(b, 48, 16),
};

/** Q4_K (qs at 16) and Q5_K (qh[32] at 16, qs at 48): d·sc·q − dmin·m over 8 sub-blocks of 32. */
function kQuantWithMin(b: Buffer, qs: number, qh: number): number[] {
  const d = half(b, 0), dmin = half(b, 2), scales = b.subarray(4, 16), out: number[] = [];
  for (let pair = 0; pair < 4; pair++) {
    for (const high of [0, 1]) {
      const [sc, m] = scaleMinK4(2 * pair + high, scales);
      for (let l = 0; l < 32; l++) {
        const nibble = (b.readUInt8(qs + 32 * pair + l) >> (4 * high)) & 0xf;
        const fifth = qh ? ((b.readUInt8(qh + l) >> (2 * pair + high)) & 1) << 4 : 0;
        out.push(d * sc * (nibble + fifth) - dmin * m);
      }
    }
  }
  return out;
}

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

    const [dField, minField] = scaleFields[type] ?? [];
    if (dField !== undefined) {
      it(`${type}: each block's d is within the range${minField !== undefined ? ", its min field centring it" : ""}`, () => {
        const { bytes } = collect({ type, shape: [block.blockSize * 64, 4], seed: 7, blockScaleRange: [1e-3, 1e-2] });
        for (let at = 0; at < bytes.length; at += block.typeSize) {
          const d = fromHalfBits(bytes.readUInt16LE(at + dField), "f16");
          // f16 rounding may move a bound by half an ulp (2^-11 relative).
          assert.ok(d >= 1e-3 * (1 - 2 ** -11) && d <= 1e-2 * (1 + 2 ** -11), `block at ${at}: d ${d}`);
          if (minField === undefined) continue;
          const min = fromHalfBits(bytes.readUInt16LE(at + minField), "f16");
          const ratio = centringRatio[type] ?? NaN;  // NaN fails the check: every min field has a ratio
          assert.ok(Math.abs(min - ratio * d) <= Math.abs(ratio * d) * 2 ** -11, `block at ${at}: min ${min}, d ${d}`);
        }
      });
    }

    const dequantize = dequantizers[type];
    if (dequantize !== undefined) {
      it(`${type}: dequantized weights average zero, as trained ones do`, () => {
        const { bytes } = collect({ type, shape: [block.blockSize * 64, 8], seed: 11 });
        let sum = 0, squares = 0, n = 0;
        for (let at = 0; at < bytes.length; at += block.typeSize) {
          for (const w of dequantize(bytes.subarray(at, at + block.typeSize))) {
            sum += w;
            squares += w * w;
            ++n;
          }
        }
        const mean = sum / n, rms = Math.sqrt(squares / n);
        // Uncentred (the min field drawn like d) these averaged 0.3-0.7 of their RMS.
        assert.ok(Math.abs(mean) < 0.05 * rms, `mean ${mean}, rms ${rms}`);
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
