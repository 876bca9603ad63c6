// The project's writer against the engine's C++ reader: what one writes, the other reads back
// exactly, and what the reader must refuse, it refuses with the right code.
import assert from "node:assert/strict";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { GgufHeader } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { everyKindFixture, supportedTypeNames } from "../scripts/gguf/everyKindFixture.js";
import { ggmlTypes } from "../scripts/gguf/ggmlTypes.js";
import { GgufValue as gguf } from "../scripts/gguf/GgufValue.js";
import { GgufWriter } from "../scripts/gguf/GgufWriter.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { llamaWeightMixes, type LlamaWeightMixName } from "../scripts/gguf/llamaWeightMixes.js";

const scratch = await mkdtemp(join(tmpdir(), "gguf-round-trip-"));
after(() => rm(scratch, { recursive: true, force: true }));
const engine = loadEngine();
let fileCount = 0;

async function writeAndRead(writer: GgufWriter): Promise<{ header: GgufHeader; path: string }> {
  const path = join(scratch, `f${fileCount++}.gguf`);
  await writer.writeToFile(path);
  return { header: await engine.readGguf(path), path };
}

async function readBytes(bytes: Uint8Array): Promise<GgufHeader> {
  const path = join(scratch, `b${fileCount++}.gguf`);
  await writeFile(path, bytes);
  return engine.readGguf(path);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return "no error";
}

function metadataOf(header: GgufHeader) {
  return new Map(header.metadata.map((e) => [e.key, e]));
}

describe("GGUF writer → C++ reader", () => {
  for (const options of [{}, { version: 2 as const }, { alignment: 64 }, { alignment: 256 }]) {
    it(`reads back every value and tensor type exactly (${JSON.stringify(options)})`, async () => {
      const writer = everyKindFixture(options);
      const { header } = await writeAndRead(writer);
      const layout = writer.layout();
      assert.equal(header.version, options.version ?? 3);
      assert.equal(header.alignment, options.alignment ?? 32);
      assert.equal(header.dataOffset, layout.dataOffset);
      assert.equal(header.fileBytes, layout.fileSize);
      assert.deepEqual(header.tensors.map((t) => [t.name, t.offset, t.bytes]),
        layout.tensors.map((t) => [t.name, t.fileOffset, t.byteSize]));
      assert.deepEqual(header.tensors.map((t) => t.type), supportedTypeNames);
      for (const t of header.tensors) assert.equal(t.offset % header.alignment, 0, t.name);

      const m = metadataOf(header);
      assert.deepEqual([m.get("test.u8")?.value, m.get("test.i8")?.value], [255, -128]);
      assert.deepEqual([m.get("test.u16")?.value, m.get("test.i16")?.value], [65535, -32768]);
      assert.deepEqual([m.get("test.u32")?.value, m.get("test.i32")?.value], [0xffffffff, -0x80000000]);
      assert.equal(m.get("test.u64")?.value, 2n ** 64n - 1n);   // beyond 2^53: a bigint
      assert.equal(m.get("test.i64")?.value, -(2n ** 63n));
      assert.equal(m.get("test.f32")?.value, Math.fround(1e-5));
      assert.equal(m.get("test.f64")?.value, Math.PI);
      assert.equal(m.get("test.bool")?.value, true);
      assert.equal(m.get("test.string")?.value, "▁Once upon a time, 日本語 🦙");
      assert.deepEqual(m.get("test.strings")?.value, ["<s>", "", "▁the"]);
      assert.equal(m.get("test.strings")?.itemType, "string");
      assert.deepEqual(m.get("test.floats")?.value, [0.5, -2, Math.fround(1e-3)]);
      assert.deepEqual(m.get("test.nested")?.value, [[1, 2], ["x"], []]);
      assert.equal(m.get("test.nested")?.itemType, "array");
    });
  }

  it("reads vocabulary-only files with and without trailing padding", async () => {
    for (const padVocabOnly of [true, false]) {
      const writer = new GgufWriter({ padVocabOnly })
        .addMetadata("tokenizer.ggml.tokens", gguf.array("string", ["<unk>", "<s>", "</s>"]));
      const { header } = await writeAndRead(writer);
      assert.equal(header.tensors.length, 0);
      assert.equal(header.fileBytes, writer.layout().fileSize);
      assert.equal(header.fileBytes % 32 === 0, padVocabOnly || writer.layout().headerBytes % 32 === 0);
      assert.deepEqual(metadataOf(header).get("tokenizer.ggml.tokens")?.value, ["<unk>", "<s>", "</s>"]);
    }
  });

  for (const mix of Object.keys(llamaWeightMixes) as LlamaWeightMixName[]) {
    it(`reads the generated tiny llama with the ${mix} mix as the generator laid it out`, async () => {
      const writer = randomLlamaWriter({ shape: "tiny", mix, seed: 5 });
      const { header } = await writeAndRead(writer);
      assert.deepEqual(header.tensors.map((t) => [t.name, t.offset, t.bytes]),
        writer.layout().tensors.map((t) => [t.name, t.fileOffset, t.byteSize]));
      assert.equal(metadataOf(header).get("general.architecture")?.value, "llama");
    });
  }
});

describe("C++ reader refusals", () => {
  it("refuses an unsupported tensor type as NT_E_UNSUPPORTED, naming tensor and type", async () => {
    const writer = new GgufWriter().addRawTensor(
      { name: "blk.3.ffn_down.weight", typeId: ggmlTypes.IQ2_XS.id, dims: [256], byteSize: 74 }, new Uint8Array(74));
    const path = join(scratch, "iq2.gguf");
    await writer.writeToFile(path);
    await assert.rejects(engine.readGguf(path), (err: Error & { code: string }) =>
      err.code === "NT_E_UNSUPPORTED" && err.message.includes("blk.3.ffn_down.weight") && err.message.includes("IQ2_XS"));
  });

  it("refuses a tensor offset that is not aligned, and one past the end of the file", async () => {
    const writer = everyKindFixture();
    const bytes = await writer.toBuffer();
    // The last tensor info ends with its u64 offset, right before the alignment padding.
    const offsetField = writer.layout().headerBytes - 8;
    const misaligned = Buffer.from(bytes);
    misaligned.writeBigUInt64LE(misaligned.readBigUInt64LE(offsetField) + 1n, offsetField);
    assert.equal(await codeOf(readBytes(misaligned)), "NT_E_BAD_GGUF");
    const pastEnd = Buffer.from(bytes);
    pastEnd.writeBigUInt64LE(BigInt(bytes.length), offsetField);
    assert.equal(await codeOf(readBytes(pastEnd)), "NT_E_BAD_GGUF");
  });

  it("answers every truncation of a written file with NT_E_BAD_GGUF", async () => {
    const bytes = await everyKindFixture().toBuffer();
    const path = join(scratch, "truncated.gguf");
    await writeFile(path, bytes);
    const file = await open(path, "r+");
    try {
      for (let size = bytes.length - 1; size >= 0; size--) {
        await file.truncate(size);
        assert.equal(await codeOf(engine.readGguf(path)), "NT_E_BAD_GGUF", `cut at ${size}`);
      }
    } finally {
      await file.close();
    }
  });

  it("reports a missing file as NT_E_NOT_FOUND and a directory as NT_E_IO", async () => {
    assert.equal(await codeOf(engine.readGguf(join(scratch, "missing.gguf"))), "NT_E_NOT_FOUND");
    assert.equal(await codeOf(engine.readGguf(scratch)), "NT_E_IO");
  });
});
