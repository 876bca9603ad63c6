import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ggmlTypes } from "../scripts/gguf/ggmlTypes.js";
import { GgufValue as gguf } from "../scripts/gguf/GgufValue.js";
import { GgufWriter, type GgufWriterOptions } from "../scripts/gguf/GgufWriter.js";
import { tensorByteSize } from "../scripts/gguf/tensorByteSize.js";
import { findTestData } from "./support/findTestData.js";
import { testDataMissing } from "./support/testDataMissing.js";
import { parseGguf } from "./support/parseGguf.js";
import { toGgufValue } from "./support/toGgufValue.js";

const scratch = await mkdtemp(join(tmpdir(), "gguf-writer-test-"));
after(() => rm(scratch, { recursive: true, force: true }));

/** Hex of little-endian u32 / u64 fields and of text, for writing expected bytes readably. */
function u32(n: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(n);
  return bytes.toString("hex");
}
function u64(n: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(n));
  return bytes.toString("hex");
}
const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex");

/** A writer with a string KV, an array KV and one 2-element F32 tensor. */
function tinyWriter(options: GgufWriterOptions = {}): GgufWriter {
  return new GgufWriter(options)
    .addMetadata("a", gguf.str("bc"))
    .addMetadata("arr", gguf.array("u16", [1, 2]))
    .addTensor({ name: "t", type: "F32", shape: [2] }, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
}

async function* chunksOf(sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const size of sizes) yield new Uint8Array(size).fill(0xab);
}

describe("GgufWriter layout", () => {
  it("writes the header, metadata, tensor info, padding and data byte for byte", async () => {
    const expected = [
      "47475546", u32(3), u64(1), u64(2), // magic, version, tensor count, KV count
      u64(1), ascii("a"), u32(8), u64(2), ascii("bc"), // "a" = string "bc"
      u64(3), ascii("arr"), u32(9), u32(2), u64(2), "01000200", // "arr" = u16[] {1, 2}
      u64(1), ascii("t"), u32(1), u64(2), u32(0), u64(0), // tensor t: 1 dim, ne[0]=2, F32, offset 0
    ].join("");
    assert.equal(expected.length / 2, 111);
    const file = await tinyWriter().toBuffer();
    assert.equal(file.subarray(0, 111).toString("hex"), expected);
    assert.deepEqual([...file.subarray(111, 128)], new Array(17).fill(0), "zero padding to 32 before data");
    assert.deepEqual([...file.subarray(128, 136)], [1, 2, 3, 4, 5, 6, 7, 8], "data at offset 128");
    assert.deepEqual([...file.subarray(136)], new Array(24).fill(0), "zero padding after the last tensor");
    assert.equal(file.length, 160);
  });

  it("reports the layout it writes", () => {
    const layout = tinyWriter().layout();
    assert.deepEqual(layout, {
      headerBytes: 111, dataOffset: 128, alignment: 32, fileSize: 160,
      tensors: [{ name: "t", typeId: 0, byteSize: 8, offset: 0, fileOffset: 128 }],
    });
  });

  for (const alignment of [32, 64, 1, 4096]) {
    it(`aligns the data section and every tensor to an explicit alignment of ${alignment}`, async () => {
      const writer = new GgufWriter({ alignment })
        .addTensor({ name: "a", type: "F16", shape: [3] }, new Uint8Array(6).fill(1))
        .addTensor({ name: "b", type: "Q8_0", shape: [32, 2] }, new Uint8Array(68).fill(2));
      const file = await writer.toBuffer();
      const parsed = parseGguf(file);
      const layout = writer.layout();
      assert.equal(parsed.metadata.get("general.alignment")?.type, 4, "written as u32 when set explicitly");
      assert.equal(parsed.alignment, alignment);
      assert.equal(layout.dataOffset, Math.ceil(parsed.headerEnd / alignment) * alignment);
      assert.deepEqual(parsed.tensors.map((t) => Number(t.offset)), layout.tensors.map((t) => t.offset));
      for (const t of layout.tensors) assert.equal(t.fileOffset % alignment, 0);
      assert.equal(layout.tensors[1]?.offset, Math.ceil(6 / alignment) * alignment);
      assert.equal(file.length, layout.fileSize);
      assert.equal(file.length % alignment, 0);
      assert.equal(file[layout.tensors[1]?.fileOffset ?? -1], 2);
    });
  }

  it("writes no general.alignment key when the alignment is left at its default", async () => {
    const parsed = parseGguf(await tinyWriter().toBuffer());
    assert.equal(parsed.metadata.has("general.alignment"), false);
    assert.equal(parsed.metadata.size, 2);
  });

  it("writes alignmentKeyOverride verbatim while laying out by the alignment option", async () => {
    const writer = new GgufWriter({ alignmentKeyOverride: gguf.u64(48n) })
      .addTensor({ name: "t", type: "F32", shape: [1] }, new Uint8Array(4));
    const parsed = parseGguf(await writer.toBuffer());
    assert.deepEqual(parsed.metadata.get("general.alignment"), { type: 10, value: 48n });
    assert.equal(writer.layout().dataOffset % 32, 0);
  });

  it("writes version 2 with an otherwise identical file", async () => {
    const v2 = await tinyWriter({ version: 2 }).toBuffer();
    const v3 = await tinyWriter().toBuffer();
    assert.equal(v2.readUInt32LE(4), 2);
    assert.deepEqual(v2.subarray(8), v3.subarray(8));
  });

  it("pads a vocab-only file by default and ends it at the header with padVocabOnly false", async () => {
    const build = (padVocabOnly?: boolean) => new GgufWriter({ padVocabOnly }).addMetadata("k", gguf.u8(7));
    const padded = await build().toBuffer();
    const unpadded = await build(false).toBuffer();
    const headerBytes = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 1;
    assert.equal(unpadded.length, headerBytes);
    assert.equal(build(false).layout().fileSize, headerBytes);
    assert.equal(padded.length, 64);
    assert.deepEqual(padded.subarray(0, headerBytes), unpadded);
    assert.ok(padded.subarray(headerBytes).every((b) => b === 0));
  });

  it("streams chunked sources and writes the same bytes to a file as toBuffer", async () => {
    const writer = new GgufWriter()
      .addMetadata("general.architecture", gguf.str("llama"))
      .addTensor({ name: "q", type: "Q4_K", shape: [512, 6] }, () => chunksOf([1000, 0, 726, 2]))
      .addTensor({ name: "n", type: "F32", shape: [5] }, () => [new Uint8Array(20).fill(9)]);
    const path = join(scratch, "chunked.gguf");
    const progress: number[] = [];
    const layout = await writer.writeToFile(path, { onProgress: (p) => progress.push(p.bytesWritten) });
    const file = await readFile(path);
    assert.equal(file.length, layout.fileSize);
    assert.deepEqual(file, await writer.toBuffer());
    assert.equal(progress.at(-1), layout.fileSize);
    assert.ok(progress.every((v, i) => i === 0 || v >= (progress[i - 1] as number)), "progress is monotonic");
    const q = layout.tensors[0];
    assert.ok(q !== undefined && file.subarray(q.fileOffset, q.fileOffset + q.byteSize).every((b) => b === 0xab));
  });

  for (const vocab of ["llama-spm", "gpt-2"]) {
    it(`byte-for-byte rewrites the vocab-only ggml-vocab-${vocab}.gguf (no trailing padding)`, async (t) => {
      const path = findTestData(`vocab/ggml-vocab-${vocab}.gguf`);
      if (path === undefined) return t.skip(testDataMissing());
      const original = await readFile(path);
      const writer = new GgufWriter({ padVocabOnly: false });
      for (const [key, value] of parseGguf(original).metadata) writer.addMetadata(key, toGgufValue(value));
      assert.ok((await writer.toBuffer()).equals(original));
    });
  }

  it("byte-for-byte rewrites stories260K.gguf (alignment, padding, tensor offsets)", async (t) => {
    const path = findTestData("stories260K.gguf");
    if (path === undefined) return t.skip(testDataMissing());
    const original = await readFile(path);
    const parsed = parseGguf(original);
    const writer = new GgufWriter();
    for (const [key, value] of parsed.metadata) writer.addMetadata(key, toGgufValue(value));
    const dataOffset = Math.ceil(parsed.headerEnd / 32) * 32;
    for (const info of parsed.tensors) {
      const shape = info.dims.map(Number);
      const start = dataOffset + Number(info.offset);
      const bytes = original.subarray(start, start + tensorByteSize(ggmlTypes.F32, shape));
      writer.addTensor({ name: info.name, type: "F32", shape }, bytes);
    }
    assert.ok((await writer.toBuffer()).equals(original));
  });
});


describe("GgufWriter refusals", () => {
  const f32 = (name: string, n = 1) => [{ name, type: "F32", shape: [n] }, new Uint8Array(4 * n)] as const;
  const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;

  it("refuses a duplicate metadata key and general.alignment outside the option", () => {
    const writer = new GgufWriter().addMetadata("k", gguf.u32(1));
    assert.throws(() => writer.addMetadata("k", gguf.u32(2)), code("ERR_GGUF_BAD_NAME"));
    assert.throws(() => writer.addMetadata("general.alignment", gguf.u32(64)), code("ERR_GGUF_BAD_NAME"));
    assert.throws(() => writer.addMetadata("", gguf.u32(1)), code("ERR_GGUF_BAD_NAME"));
  });

  it("refuses a duplicate tensor name and a name longer than 63 bytes", () => {
    const writer = new GgufWriter().addTensor(...f32("t"));
    assert.throws(() => writer.addTensor(...f32("t")), code("ERR_GGUF_BAD_NAME"));
    writer.addTensor(...f32("x".repeat(63)));
    assert.throws(() => writer.addTensor(...f32("x".repeat(64))), code("ERR_GGUF_BAD_NAME"));
  });

  it("refuses bad shapes", () => {
    const writer = new GgufWriter();
    for (const shape of [[], [1, 1, 1, 1, 1], [0], [2, -1], [1.5], [Number.NaN]]) {
      assert.throws(() => writer.addTensor({ name: "t", type: "F32", shape }, new Uint8Array(4)),
        code("ERR_GGUF_BAD_SHAPE"), `shape [${shape.join(", ")}]`);
    }
    assert.throws(() => writer.addTensor({ name: "q", type: "Q4_0", shape: [16] }, new Uint8Array(9)),
      code("ERR_GGUF_BAD_SHAPE"), "ne[0] not a multiple of the block size");
    assert.throws(() => writer.addTensor({ name: "big", type: "F32", shape: [2 ** 30, 2 ** 30, 2 ** 30] }, () => []),
      code("ERR_GGUF_BAD_SHAPE"), "size past Number.MAX_SAFE_INTEGER");
  });

  it("refuses an unsupported type by name; addRawTensor writes it as given", async () => {
    const iq2xs = ggmlTypes.IQ2_XS;
    assert.throws(() => new GgufWriter().addTensor(
      { name: "t", type: "IQ2_XS" as "F32", shape: [256] }, new Uint8Array(iq2xs.typeSize)), code("ERR_GGUF_BAD_TYPE"));
    const writer = new GgufWriter()
      .addRawTensor({ name: "iq", typeId: iq2xs.id, dims: [256, 2], byteSize: 2 * iq2xs.typeSize }, new Uint8Array(148))
      .addRawTensor({ name: "5d", typeId: 0, dims: [1, 1, 1, 1, 2n ** 64n - 1n], byteSize: 4 }, new Uint8Array(4));
    const parsed = parseGguf(await writer.toBuffer());
    assert.deepEqual(parsed.tensors.map((t) => [t.name, t.typeId, t.dims]),
      [["iq", 17, [256n, 2n]], ["5d", 0, [1n, 1n, 1n, 1n, 2n ** 64n - 1n]]]);
    assert.equal(parsed.tensors[1]?.offset, 160n);
    assert.throws(() => writer.addRawTensor({ name: "x", typeId: -1, dims: [1], byteSize: 0 }, new Uint8Array(0)),
      code("ERR_GGUF_SEALED"));
    assert.throws(() => new GgufWriter().addRawTensor({ name: "x", typeId: 2 ** 32, dims: [1], byteSize: 0 },
      new Uint8Array(0)), code("ERR_GGUF_BAD_SHAPE"));
  });

  it("refuses a Uint8Array source of the wrong size when the tensor is added", () => {
    assert.throws(() => new GgufWriter().addTensor({ name: "t", type: "F16", shape: [4] }, new Uint8Array(7)),
      code("ERR_GGUF_SOURCE_SIZE"));
  });

  for (const [what, sizes] of [["too many", [8, 1]], ["too few", [7]], ["no", []]] as const) {
    it(`fails the write when a chunked source yields ${what} bytes`, async () => {
      const writer = new GgufWriter().addTensor({ name: "t", type: "F16", shape: [4] }, () => chunksOf([...sizes]));
      await assert.rejects(writer.toBuffer(), code("ERR_GGUF_SOURCE_SIZE"));
    });
  }

  it("removes the partial file when writing to disk fails", async () => {
    const path = join(scratch, "partial.gguf");
    const writer = new GgufWriter()
      .addTensor({ name: "t", type: "F32", shape: [1 << 20] }, () => chunksOf([1 << 20, 1 << 20, 1 << 20]));
    await assert.rejects(writer.writeToFile(path), code("ERR_GGUF_SOURCE_SIZE"));
    assert.equal(existsSync(path), false);
  });

  it("refuses a chunk that is not a Uint8Array", async () => {
    const writer = new GgufWriter().addTensor({ name: "t", type: "F32", shape: [1] },
      () => [[1, 2, 3, 4] as unknown as Uint8Array]);
    await assert.rejects(writer.toBuffer(), code("ERR_GGUF_SOURCE_SIZE"));
  });

  it("refuses bad options", () => {
    for (const alignment of [0, 3, 48, 2 ** 32, 1.5]) {
      assert.throws(() => new GgufWriter({ alignment }), code("ERR_GGUF_BAD_OPTION"), `alignment ${alignment}`);
    }
    assert.throws(() => new GgufWriter({ version: 1 as 3 }), code("ERR_GGUF_BAD_OPTION"));
  });

  it("cannot change once writing started", async () => {
    const writer = tinyWriter();
    await writer.toBuffer();
    assert.throws(() => writer.addMetadata("late", gguf.u8(1)), code("ERR_GGUF_SEALED"));
    assert.throws(() => writer.addTensor(...f32("late")), code("ERR_GGUF_SEALED"));
    assert.deepEqual(await writer.toBuffer(), await tinyWriter().toBuffer(), "a second write gives the same bytes");
  });
});
