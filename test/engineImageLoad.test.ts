// The raw storage backend (issue 6, DESIGN §2): the root helper places a GGUF as an image at a
// 4096-aligned offset of a block device and hands the daemon a read-only descriptor. Here the
// "device" is a file with junk around the image; loading from the descriptor must give the
// path-loaded model's logits and greedy tokens exactly, resident and with tier C streamed from it.
import assert from "node:assert/strict";
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { NativeModel, NativeModelOptions } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { forcedBudgets } from "./support/forcedBudgets.js";
import { greedyTokens } from "./support/greedyTokens.js";

const engine = loadEngine();
const OFFSET = 4096 * 3;
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 5) % 256);
const BASE: NativeModelOptions = { backend: "cpu", threads: 2, nCtx: 128 };

describe("loadModel from a raw image descriptor", { concurrency: 1 }, () => {
  let scratch = "";
  let modelPath = "";
  let fd = -1;
  let size = 0;
  let reference: NativeModel;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "engine-image-"));
    modelPath = join(scratch, "tiny.gguf");
    // 12 blocks: more than a ring of slots holds, so forced budgets leave blocks to stream.
    await randomLlamaWriter({ shape: "tiny", mix: "q4_k_m", seed: 1, layers: 12 }).writeToFile(modelPath);
    const gguf = readFileSync(modelPath);
    size = gguf.length;
    const device = Buffer.alloc(OFFSET + size + 5000, 0x5a);
    gguf.copy(device, OFFSET);
    const imagePath = join(scratch, "device.img");
    writeFileSync(imagePath, device);
    fd = openSync(imagePath, "r");
    reference = await engine.loadModel(modelPath, BASE);
  });

  after(async () => {
    await reference?.dispose();
    if (fd >= 0) closeSync(fd);
    await rm(scratch, { recursive: true, force: true });
  });

  async function expectSameAsFile(model: NativeModel): Promise<void> {
    assert.deepEqual(await model.evaluate(PROMPT, 8), await reference.evaluate(PROMPT, 8));
    assert.deepEqual(await greedyTokens(model, PROMPT, 24), await greedyTokens(reference, PROMPT, 24));
  }

  it("gives the path-loaded model's logits and tokens when resident", async () => {
    const model = await engine.loadModel("tiny-image", { ...BASE, image: { fd, offset: OFFSET, size } });
    try {
      assert.equal(model.info().placement.totals.c, 0);
      await expectSameAsFile(model);
    } finally {
      await model.dispose();
    }
    assert.doesNotThrow(() => fstatSync(fd), "the engine closed the caller's descriptor");
  });

  it("gives the path-loaded model's logits and tokens with tier C streamed from the descriptor", async () => {
    const budgets = forcedBudgets(reference.info().placement, "all-c");
    const model = await engine.loadModel("tiny-image", { ...BASE, ...budgets, image: { fd, offset: OFFSET, size } });
    try {
      assert.ok(model.info().placement.totals.c > 0, "nothing in tier C");
      await expectSameAsFile(model);
    } finally {
      await model.dispose();
    }
  });

  it("refuses an image that is not a GGUF or ends before its tensors", async () => {
    await assert.rejects(engine.loadModel("junk", { ...BASE, image: { fd, offset: 0, size } }), { code: "NT_E_BAD_GGUF" });
    await assert.rejects(engine.loadModel("short", { ...BASE, image: { fd, offset: OFFSET, size: size - 4096 } }),
      { code: "NT_E_BAD_GGUF" });
    await assert.rejects(engine.loadModel("long", { ...BASE, image: { fd, offset: OFFSET, size: size + 8192 } }),
      { code: "NT_E_IO" });
  });

  it("refuses bad image options with NT_E_BAD_REQUEST", async () => {
    const bad: unknown[] = [
      "image", [fd, OFFSET, size],
      { fd: -1, offset: OFFSET, size }, { fd: 1.5, offset: OFFSET, size }, { fd: String(fd), offset: OFFSET, size },
      { fd, offset: 100, size }, { fd, offset: -4096, size }, { fd, offset: 2 ** 53, size },
      { fd, offset: OFFSET, size: 0 }, { fd, offset: OFFSET }, { fd, offset: OFFSET, size: Number.NaN },
    ];
    for (const image of bad) {
      const options = { ...BASE, image } as unknown as NativeModelOptions;
      await assert.rejects(async () => engine.loadModel("bad", options), { code: "NT_E_BAD_REQUEST" },
        `accepted image ${JSON.stringify(image)}`);
    }
  });
});
