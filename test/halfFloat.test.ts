import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeFloats, fromHalfBits, toHalfBits } from "../scripts/gguf/floatEncoding.js";

const f16 = (x: number) => toHalfBits(x, "f16");
const bf16 = (x: number) => toHalfBits(x, "bf16");

describe("f16 and bf16 encoding", () => {
  it("encodes known f16 bit patterns", () => {
    assert.equal(f16(1), 0x3c00);
    assert.equal(f16(-2), 0xc000);
    assert.equal(f16(65504), 0x7bff, "largest finite");
    assert.equal(f16(0.5), 0x3800);
    assert.equal(f16(-0), 0x8000);
    assert.equal(f16(Infinity), 0x7c00);
    assert.equal(f16(-Infinity), 0xfc00);
    assert.equal(f16(2 ** -14), 0x0400, "smallest normal");
    assert.equal(f16(2 ** -24), 0x0001, "smallest subnormal");
    assert.equal(f16(3 * 2 ** -24), 0x0003);
    assert.equal(f16(1e-8), 0x0000, "below half the smallest subnormal rounds to zero");
    assert.equal(f16(-1e-8), 0x8000);
    assert.equal(f16(5e-8), 0x0001, "above half the smallest subnormal rounds up");
  });

  it("rounds f16 to nearest, ties to even, including into subnormals and infinity", () => {
    assert.equal(f16(1 + 2 ** -11), 0x3c00, "tie between 0x3C00 and 0x3C01 goes to even 0x3C00");
    assert.equal(f16(1 + 3 * 2 ** -11), 0x3c02, "tie between 0x3C01 and 0x3C02 goes to even 0x3C02");
    assert.equal(f16(1 + 2 ** -11 + 2 ** -20), 0x3c01, "just above the tie rounds up");
    assert.equal(f16(2 ** -25), 0x0000, "tie between 0 and the smallest subnormal goes to 0");
    assert.equal(f16(3 * 2 ** -25), 0x0002, "tie between subnormals 1 and 2 goes to 2");
    assert.equal(f16(2 ** -14 - 2 ** -25), 0x0400, "tie at the top subnormal rounds up into the normals");
    assert.equal(f16(65519), 0x7bff, "below the tie with 65536 stays finite");
    assert.equal(f16(65520), 0x7c00, "the tie between 65504 and 65536 goes to even: infinity");
    assert.equal(f16(1e6), 0x7c00);
  });

  it("keeps NaN a NaN in f16 and bf16", () => {
    assert.ok(Number.isNaN(fromHalfBits(f16(Number.NaN), "f16")));
    assert.ok(Number.isNaN(fromHalfBits(bf16(Number.NaN), "bf16")));
    const nanWithLowPayload = new Float32Array(new Uint32Array([0x7f800001]).buffer)[0] as number;
    assert.ok(Number.isNaN(fromHalfBits(f16(nanWithLowPayload), "f16")), "a payload below f16's mantissa stays NaN");
  });

  it("round-trips every finite f16 bit pattern", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromHalfBits(bits, "f16");
      if (!Number.isNaN(value)) assert.equal(f16(value), bits, `0x${bits.toString(16)}`);
    }
  });

  it("encodes known bf16 bit patterns and rounds ties to even", () => {
    assert.equal(bf16(1), 0x3f80);
    assert.equal(bf16(-2), 0xc000);
    assert.equal(bf16(Infinity), 0x7f80);
    assert.equal(bf16(1 + 2 ** -8), 0x3f80, "tie between 0x3F80 and 0x3F81 goes to even");
    assert.equal(bf16(1 + 3 * 2 ** -8), 0x3f82, "tie between 0x3F81 and 0x3F82 goes to even");
    assert.equal(bf16(1 + 2 ** -8 + 2 ** -20), 0x3f81);
    assert.equal(bf16(3.4028234663852886e38), 0x7f80, "float32 max rounds up to infinity");
    assert.equal(bf16(2 ** -149), 0x0000, "the smallest float32 subnormal is below bf16's");
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromHalfBits(bits, "bf16");
      if (!Number.isNaN(value)) assert.equal(bf16(value), bits, `0x${bits.toString(16)}`);
    }
  });

  it("encodes arrays little-endian for F32, F16 and BF16", () => {
    assert.deepEqual([...encodeFloats([1, -2], "F32")], [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    assert.deepEqual([...encodeFloats(new Float32Array([1, -2]), "F16")], [0x00, 0x3c, 0x00, 0xc0]);
    assert.deepEqual([...encodeFloats([1, 65504], "BF16")], [0x80, 0x3f, 0x80, 0x47]);
    const slice = new Float32Array([9, 1, 9]).subarray(1, 2);
    assert.deepEqual([...encodeFloats(slice, "F32")], [0, 0, 0x80, 0x3f], "honours a subarray's offset");
  });
});
