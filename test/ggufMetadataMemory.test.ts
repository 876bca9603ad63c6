// A GGUF file whose metadata would swell in memory (empty nested arrays: 104 bytes each in the
// reader for 12 in the file) is refused cleanly by `ntctl inspect`, with NT_E_BAD_GGUF naming
// the key, before the reader spends the memory; the same file with few such arrays is described.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GgufValue as gguf } from "../scripts/gguf/GgufValue.js";
import { GgufWriter } from "../scripts/gguf/GgufWriter.js";
import { runNtctl } from "./support/runNtctl.js";

const scratch = await mkdtemp(join(tmpdir(), "gguf-metadata-memory-"));
after(() => rm(scratch, { recursive: true, force: true }));

/** A vocabulary-less, tensor-less file whose one odd key holds `count` empty u8 arrays. */
async function nestedArraysFile(count: number): Promise<string> {
  const empty = gguf.array("u8", []);
  const path = join(scratch, `nested-${count}.gguf`);
  await new GgufWriter()
    .addMetadata("general.architecture", gguf.str("llama"))
    .addMetadata("evil.nested", gguf.array("array", Array.from({ length: count }, () => empty)))
    .writeToFile(path);
  return path;
}

describe("ntctl inspect on metadata that would swell in memory", () => {
  it("refuses 400,000 empty nested arrays (4.8 MB of file, 42 MB in memory) with NT_E_BAD_GGUF naming the key", async () => {
    const run = await runNtctl(["inspect", await nestedArraysFile(400_000), "--json"]);
    assert.equal(run.code, 6, run.stderr);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, "NT_E_BAD_GGUF");
    assert.match(error.message, /'evil\.nested'/);
    assert.match(error.message, /bytes of memory/);
  });

  it("still describes a file with a few empty nested arrays", async () => {
    const run = await runNtctl(["inspect", await nestedArraysFile(1000), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const { metadata } = JSON.parse(run.stdout) as { metadata: Record<string, { itemType: string; length: number }> };
    assert.deepEqual([metadata["evil.nested"]?.itemType, metadata["evil.nested"]?.length], ["array", 1000]);
  });
});
