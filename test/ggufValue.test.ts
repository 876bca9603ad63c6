import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteBuilder } from "../scripts/gguf/ByteBuilder.js";
import { GgufValue as gguf } from "../scripts/gguf/GgufValue.js";

const badValue = (error: unknown) => (error as { code?: string }).code === "ERR_GGUF_BAD_VALUE";

/** The bytes a value encodes to (without its type id). */
function bytesOf(value: gguf): string {
  const out = new ByteBuilder();
  value.encode(out);
  return out.finish().toString("hex");
}

describe("GgufValue", () => {
  it("encodes each scalar type little-endian at its width", () => {
    assert.equal(bytesOf(gguf.u8(255)), "ff");
    assert.equal(bytesOf(gguf.i8(-1)), "ff");
    assert.equal(bytesOf(gguf.u16(0x1234)), "3412");
    assert.equal(bytesOf(gguf.i16(-2)), "feff");
    assert.equal(bytesOf(gguf.u32(0xdeadbeef)), "efbeadde");
    assert.equal(bytesOf(gguf.i32(-0x80000000)), "00000080");
    assert.equal(bytesOf(gguf.f32(1)), "0000803f");
    assert.equal(bytesOf(gguf.f64(-2)), "00000000000000c0");
    assert.equal(bytesOf(gguf.u64(2n ** 64n - 1n)), "ffffffffffffffff");
    assert.equal(bytesOf(gguf.i64(-1)), "ffffffffffffffff");
    assert.equal(bytesOf(gguf.bool(true)), "01");
    assert.equal(bytesOf(gguf.bool(false)), "00");
    assert.equal(bytesOf(gguf.str("é")), "0200000000000000c3a9", "u64 byte length, UTF-8, no NUL");
  });

  it("maps type names to the GGUF spec's type ids", () => {
    const ids = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"]
      .map((name) => gguf.typeId(name as "u8"));
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("refuses integers out of range or not integers", () => {
    assert.throws(() => gguf.u8(256), badValue);
    assert.throws(() => gguf.u8(-1), badValue);
    assert.throws(() => gguf.i8(128), badValue);
    assert.throws(() => gguf.u16(65536), badValue);
    assert.throws(() => gguf.i16(-32769), badValue);
    assert.throws(() => gguf.u32(2 ** 32), badValue);
    assert.throws(() => gguf.i32(2 ** 31), badValue);
    assert.throws(() => gguf.u32(1.5), badValue);
    assert.throws(() => gguf.u32(Number.NaN), badValue);
    assert.throws(() => gguf.u32("5" as unknown as number), badValue);
    assert.throws(() => gguf.u64(-1n), badValue);
    assert.throws(() => gguf.u64(2n ** 64n), badValue);
    assert.throws(() => gguf.i64(2n ** 63n), badValue);
    assert.throws(() => gguf.u64(2 ** 53), badValue, "an unsafe number must be passed as a bigint");
    assert.equal(bytesOf(gguf.u64(2 ** 53 - 1)), "ffffffffffff1f00");
  });

  it("refuses a float32 overflow but keeps NaN and infinities", () => {
    assert.throws(() => gguf.f32(1e39), badValue);
    assert.equal(bytesOf(gguf.f32(Infinity)), "0000807f");
    assert.equal(bytesOf(gguf.f32(Number.NaN)).length, 8);
    assert.equal(bytesOf(gguf.f64(1e300)), Buffer.from(new Float64Array([1e300]).buffer).toString("hex"));
  });

  it("refuses strings with lone surrogates and non-booleans as bool", () => {
    assert.throws(() => gguf.str("a\uD800b"), badValue);
    assert.equal(bytesOf(gguf.str("\u{1F600}")), "0400000000000000f09f9880");
    assert.throws(() => gguf.bool(1 as unknown as boolean), badValue);
  });

  it("encodes arrays as element type, u64 count, elements", () => {
    assert.equal(bytesOf(gguf.array("string", ["a", ""])),
      "08000000" + "0200000000000000" + "0100000000000000" + "61" + "0000000000000000");
    assert.equal(bytesOf(gguf.array("f32", new Float32Array([1]))), "06000000" + "0100000000000000" + "0000803f");
    assert.equal(bytesOf(gguf.array("bool", [])), "07000000" + "0000000000000000");
    assert.equal(gguf.array("i32", new Int32Array(5)).length, 5);
  });

  it("encodes nested arrays, each with its own element type and count", () => {
    const nested = gguf.array("array", [gguf.array("u8", [1]), gguf.array("string", ["x"])]);
    assert.equal(bytesOf(nested), [
      "09000000", "0200000000000000", // array of 2 arrays
      "00000000", "0100000000000000", "01", // u8[1] = {1}
      "08000000", "0100000000000000", "0100000000000000", "78", // string[1] = {"x"}
    ].join(""));
  });

  it("checks every array element", () => {
    assert.throws(() => gguf.array("u8", [1, 2, 300]), badValue);
    assert.throws(() => gguf.array("string", ["ok", 5 as unknown as string]), badValue);
    assert.throws(() => gguf.array("array", [gguf.u8(1)]), badValue, "elements of an array of arrays are arrays");
    assert.throws(() => gguf.array("nope" as "u8", [1]), badValue);
  });
});
