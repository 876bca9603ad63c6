import { ggmlTypes, type SupportedGgmlTypeName } from "./ggmlTypes.js";
import { GgufValue as gguf } from "./GgufValue.js";
import { GgufWriter, type GgufWriterOptions } from "./GgufWriter.js";
import { randomTensorData } from "./randomTensorData.js";

/** Every type the engine supports, in id order. */
export const supportedTypeNames = Object.values(ggmlTypes)
  .filter((t) => t.supported)
  .map((t) => t.name as SupportedGgmlTypeName);

/**
 * A small GGUF holding one of everything the format has: a metadata value of every type
 * (nested arrays, 64-bit extremes, non-ASCII strings included) and one 2-D tensor of every
 * supported tensor type with seeded random data. Reader round-trip tests and the fuzzer's seed
 * corpus start from it.
 */
export function everyKindFixture(options: GgufWriterOptions & { seed?: number } = {}): GgufWriter {
  const { seed = 1, ...writerOptions } = options;
  const writer = new GgufWriter(writerOptions)
    .addMetadata("general.architecture", gguf.str("llama"))
    .addMetadata("test.u8", gguf.u8(255))
    .addMetadata("test.i8", gguf.i8(-128))
    .addMetadata("test.u16", gguf.u16(65535))
    .addMetadata("test.i16", gguf.i16(-32768))
    .addMetadata("test.u32", gguf.u32(0xffffffff))
    .addMetadata("test.i32", gguf.i32(-0x80000000))
    .addMetadata("test.u64", gguf.u64(2n ** 64n - 1n))
    .addMetadata("test.i64", gguf.i64(-(2n ** 63n)))
    .addMetadata("test.f32", gguf.f32(1e-5))
    .addMetadata("test.f64", gguf.f64(Math.PI))
    .addMetadata("test.bool", gguf.bool(true))
    .addMetadata("test.string", gguf.str("▁Once upon a time, 日本語 🦙"))
    .addMetadata("test.strings", gguf.array("string", ["<s>", "", "▁the"]))
    .addMetadata("test.floats", gguf.array("f32", [0.5, -2, 1e-3]))
    .addMetadata("test.nested", gguf.array("array", [gguf.array("u16", [1, 2]), gguf.array("string", ["x"]), gguf.array("i8", [])]));
  supportedTypeNames.forEach((type, i) => {
    const shape = [ggmlTypes[type].blockSize === 1 ? 32 : ggmlTypes[type].blockSize, 2];
    writer.addTensor({ name: `tensor.${type.toLowerCase()}`, type, shape },
      () => randomTensorData({ type, shape, seed: seed + i }));
  });
  return writer;
}
