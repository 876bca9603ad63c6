import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ggmlTypes } from "../scripts/gguf/ggmlTypes.js";
import { tensorByteSize } from "../scripts/gguf/tensorByteSize.js";

describe("ggml types", () => {
  it("supports exactly the types DESIGN §4 lists, with unique ids", () => {
    const supported = Object.values(ggmlTypes).filter((t) => t.supported).map((t) => t.name).sort();
    assert.deepEqual(supported,
      ["BF16", "F16", "F32", "Q2_K", "Q3_K", "Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K", "Q8_0"]);
    const ids = Object.values(ggmlTypes).map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const [key, type] of Object.entries(ggmlTypes)) assert.equal(type.name, key);
  });

  it("sizes tensors as (ne[0] / block) × bytes per block × the other dims", () => {
    assert.equal(tensorByteSize(ggmlTypes.F32, [64, 512]), 131072);
    assert.equal(tensorByteSize(ggmlTypes.F16, [3]), 6);
    assert.equal(tensorByteSize(ggmlTypes.BF16, [2, 2, 2, 2]), 32);
    assert.equal(tensorByteSize(ggmlTypes.Q4_0, [64, 2]), 2 * 2 * 18);
    assert.equal(tensorByteSize(ggmlTypes.Q5_1, [32]), 24);
    assert.equal(tensorByteSize(ggmlTypes.Q2_K, [256]), 84);
    assert.equal(tensorByteSize(ggmlTypes.Q3_K, [512, 3]), 2 * 110 * 3);
    assert.equal(tensorByteSize(ggmlTypes.Q6_K, [4096, 128256]), 16 * 210 * 128256);
    assert.equal(tensorByteSize(ggmlTypes.IQ2_XS, [256]), 74);
  });

  it("names the problem when a shape is bad", () => {
    assert.throws(() => tensorByteSize(ggmlTypes.Q4_K, [255], "tensor w"), /tensor w: ne\[0\] = 255 is not a multiple of Q4_K's block size 256/);
    assert.throws(() => tensorByteSize(ggmlTypes.F32, [4, 0]), /ne\[1\] = 0 is not a positive integer/);
    assert.throws(() => tensorByteSize(ggmlTypes.F32, [1, 1, 1, 1, 1]), /1\.\.4 dims, got 5/);
    assert.throws(() => tensorByteSize(ggmlTypes.F32, [2 ** 26, 2 ** 26, 2 ** 2]), /past Number.MAX_SAFE_INTEGER/);
  });
});
