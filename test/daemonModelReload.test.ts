import assert from "node:assert/strict";
import { symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { loadOptionChanges } from "../daemon/models/loadOptionChanges.js";
import { fakeEngine, type FakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { rejectionCode } from "./support/rejectionCode.js";

// A load (or a generate/chat carrying load options) of a model held with other options reloads it
// when idle and is refused with NT_E_BUSY when busy; the same options never reload (issue 16).

describe("ModelRegistry reloads", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let registry: ModelRegistry;
  const modelFile = async (name: string, text = "") => {
    const file = path.join(dir.dir, name);
    await writeFile(file, JSON.stringify({ text }));
    return file;
  };
  const fresh = (defaultLoad = {}) => {
    const own = fakeEngine({ tokenDelayMs: 5 });
    engine = own;
    registry = new ModelRegistry({ loadEngine: () => own, cancelGraceMs: 500, defaultLoad });
  };

  before(async () => {
    dir = await makeSocketDir();
  });

  after(async () => {
    await dir.remove();
  });

  it("reloads an idle model loaded with another context, by path and by name", async () => {
    fresh();
    const file = await modelFile("ctx.gguf");
    const first = await registry.load(file, { nCtx: 64 });
    const second = await registry.load(file, { nCtx: 96 });
    assert.notEqual(second, first);
    assert.equal(second.info.nCtx, 96);
    assert.equal(first.disposed, true, "the old model's memory is freed");
    const third = await registry.load("ctx", { nCtx: 32 });
    assert.equal(third.info.nCtx, 32);
    assert.deepEqual(engine.loadOptions.map((o) => o?.nCtx), [64, 96, 32]);
    assert.deepEqual(registry.list().map((m) => [m.name, m.state]), [["ctx", "loaded"]]);
  });

  it("does not reload for the same options, for options left out, or for what the engine chose itself", async () => {
    fresh({ threads: 2 });
    const file = await modelFile("same.gguf");
    const model = await registry.load(file, { nCtx: 64, vramBudget: 2 ** 20, backend: "auto" });
    assert.equal(await registry.load(file, { nCtx: 64, vramBudget: 2 ** 20 }), model);
    assert.equal(await registry.load("same"), model);
    // The fake engine runs "auto" on CUDA; threads 2 came from the daemon's default; 3 slots is the default.
    assert.equal(await registry.load(file, { backend: "cuda", threads: 2, stagingSlots: 3 }), model);
    assert.equal(engine.loadCalls.length, 1);
  });

  it("keeps the options a reload does not change, the model's name and its aliases", async () => {
    fresh();
    const file = await modelFile("keep.gguf");
    const link = path.join(dir.dir, "keep-link.gguf");
    await symlink(file, link);
    await registry.load(link, { name: "mine", nCtx: 64, vramBudget: 2 ** 20 });
    const reloaded = await registry.load("mine", { threads: 3 });
    assert.equal(reloaded.name, "mine");
    assert.deepEqual(engine.loadOptions[1], { nCtx: 64, vramBudget: 2 ** 20, threads: 3, maxSequences: 4 });
    assert.equal(await registry.get(link), reloaded);
  });

  it("reloads under a new name when a load of the file gives one", async () => {
    fresh();
    const file = await modelFile("named.gguf");
    await registry.load(file);
    assert.equal((await registry.load(file, { name: "renamed" })).name, "renamed");
    assert.deepEqual(registry.list().map((m) => m.name), ["renamed"]);
  });

  it("refuses other options with NT_E_BUSY while the model has a request in flight, and leaves it running", async () => {
    fresh();
    const file = await modelFile("busy.gguf", "x".repeat(400));
    const model = await registry.load(file, { nCtx: 64 });
    const tokens: number[] = [];
    const generation = model.generate({ prompt: [1, 70] }, (event) => tokens.push(event.token), new AbortController().signal);
    while (tokens.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await rejectionCode(registry.load(file, { nCtx: 128 })), "NT_E_BUSY");
    assert.equal(await rejectionCode(registry.get("busy", undefined, { load: { nCtx: 128 } })), "NT_E_BUSY");
    // The same options, or none, still use it.
    assert.equal(await registry.get("busy", undefined, { load: { nCtx: 64 } }), model);
    assert.equal(model.disposed, false);
    assert.equal(engine.loadCalls.length, 1);
    await registry.unload("busy");
    await generation.catch(() => {});
  });

  it("loads a path with the load options a request carries, and reloads on a lookup carrying others", async () => {
    fresh();
    const file = await modelFile("lookup.gguf");
    const loaded = await registry.get(file, undefined, { autoLoad: true, load: { nCtx: 48 } });
    assert.equal(loaded.info.nCtx, 48);
    assert.equal(await registry.get("lookup"), loaded, "a lookup without load options takes the model as it is");
    const reloaded = await registry.get("lookup", undefined, { load: { nCtx: 80 } });
    assert.equal(reloaded.info.nCtx, 80);
    assert.equal(engine.loadCalls.length, 2);
  });
});

describe("loadOptionChanges", () => {
  const held = { name: "m", effective: { nCtx: 64, vramBudget: 1024 }, actual: { nCtx: 64, threads: 8, backend: "cuda" as const } };

  it("names each option given that differs, with what the model has", () => {
    assert.deepEqual(loadOptionChanges({ nCtx: 128, vramBudget: 1024, pinnedBudget: 5, name: "n" }, held), [
      { option: "name", held: "m", given: "n" },
      { option: "nCtx", held: 64, given: 128 },
      { option: "pinnedBudget", held: undefined, given: 5 },
    ]);
  });

  it("accepts the engine's choices and the fixed defaults", () => {
    assert.deepEqual(loadOptionChanges({ threads: 8, backend: "auto", stagingSlots: 3 }, held), []);
    assert.deepEqual(loadOptionChanges({ backend: "cpu" }, held), [{ option: "backend", held: "cuda", given: "cpu" }]);
  });

  it("reloads for another KV cache type, and the engine's default type is no change", () => {
    assert.deepEqual(loadOptionChanges({ kvType: "f16" }, held), []);
    assert.deepEqual(loadOptionChanges({ kvType: "q8_0" }, held), [{ option: "kvType", held: "f16", given: "q8_0" }]);
    const f32 = { ...held, effective: { ...held.effective, kvType: "f32" as const } };
    assert.deepEqual(loadOptionChanges({ kvType: "f32" }, f32), []);
    assert.deepEqual(loadOptionChanges({ kvType: "f16" }, f32), [{ option: "kvType", held: "f32", given: "f16" }]);
  });
});
