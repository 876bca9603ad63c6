import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { fakeEngine, type FakeEngine, type FakeModelFile } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { rejectionCode } from "./support/rejectionCode.js";


describe("ModelRegistry", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let registry: ModelRegistry;
  /** Writes a fake model file and returns its absolute path. */
  const modelFile = async (name: string, content: FakeModelFile = {}) => {
    const file = path.join(dir.dir, name);
    await writeFile(file, JSON.stringify(content));
    return file;
  };

  before(async () => {
    dir = await makeSocketDir();
  });

  after(async () => {
    await dir.remove();
  });

  const fresh = () => {
    const own = fakeEngine({ tokenDelayMs: 5 });
    engine = own;
    registry = new ModelRegistry({ loadEngine: () => own, cancelGraceMs: 500 });
  };
  /** Waits until the registry lists its first model as loading (a load first resolves the path). */
  const untilLoading = async () => {
    while (registry.list()[0]?.state !== "loading") await new Promise((resolve) => setImmediate(resolve));
  };

  it("names a model after its file without .gguf, and finds it by name and by path", async () => {
    fresh();
    const file = await modelFile("tiny-one.gguf");
    const model = await registry.load(file);
    assert.equal(model.name, "tiny-one");
    assert.equal(await registry.get("tiny-one"), model);
    assert.equal(await registry.get(file), model);
  });

  it("answers a second load of the same file with the model already loaded, without loading again", async () => {
    fresh();
    const file = await modelFile("twice.gguf");
    const first = await registry.load(file);
    const second = await registry.load(file);
    assert.equal(second, first);
    assert.equal(second.name, "twice");
    assert.equal(engine.loadCalls.length, 1);
  });

  it("treats a symlink to a loaded file as that file", async () => {
    fresh();
    const file = await modelFile("target.gguf");
    const link = path.join(dir.dir, "link.gguf");
    await symlink(file, link);
    assert.equal(await registry.load(link), await registry.load(file));
    assert.equal(engine.loadCalls.length, 1);
    assert.equal((await registry.get(link)).path, file);
  });

  it("shares one engine load between concurrent loads of one file, each seeing progress", async () => {
    fresh();
    const file = await modelFile("shared.gguf");
    const seen: number[][] = [[], [], []];
    const models = await Promise.all(seen.map((events) => registry.load(file, { onProgress: (done) => events.push(done) })));
    assert.equal(engine.loadCalls.length, 1);
    assert.ok(models.every((m) => m === models[0]));
    for (const events of seen) assert.ok(events.length > 0, "every waiter got progress");
  });

  it("lists a model as loading with its progress, then as loaded", async () => {
    fresh();
    const file = await modelFile("listed.gguf");
    const loading = registry.load(file);
    await untilLoading();
    assert.ok(registry.list()[0]?.progress, "a loading model shows its progress");
    await loading;
    const [status] = registry.list();
    assert.equal(status?.state, "loaded");
    assert.equal(status?.architecture, "llama");
    assert.equal(status?.progress, undefined);
  });

  it("refuses a missing file with NT_E_NOT_FOUND and a relative path with NT_E_BAD_REQUEST", async () => {
    fresh();
    assert.equal(await rejectionCode(registry.load(path.join(dir.dir, "missing.gguf"))), "NT_E_NOT_FOUND");
    assert.equal(await rejectionCode(registry.load("models/relative.gguf")), "NT_E_BAD_REQUEST");
    assert.equal(engine.loadCalls.length, 0);
  });

  it("answers a name nobody loaded with NT_E_MODEL_NOT_FOUND", async () => {
    fresh();
    assert.equal(await rejectionCode(registry.load("nobody")), "NT_E_MODEL_NOT_FOUND");
    assert.equal(await rejectionCode(registry.get("nobody")), "NT_E_MODEL_NOT_FOUND");
    assert.equal(await rejectionCode(registry.unload("nobody")), "NT_E_MODEL_NOT_FOUND");
  });

  it("passes the engine's refusal through with its code, and lists the model as failed with that code", async () => {
    fresh();
    const file = await modelFile("moe.gguf", { fail: { code: "NT_E_UNSUPPORTED", message: "architecture qwen3moe is not supported" } });
    assert.equal(await rejectionCode(registry.load(file)), "NT_E_UNSUPPORTED");
    assert.deepEqual(registry.list().map((m) => [m.name, m.state, m.error?.code]), [["moe", "failed", "NT_E_UNSUPPORTED"]]);
  });

  it("refuses a second file under a name already taken, with NT_E_BAD_REQUEST", async () => {
    fresh();
    await registry.load(await modelFile("same.gguf"));
    const other = path.join(dir.dir, "sub");
    await mkdir(other, { recursive: true });
    const clash = path.join(other, "same.gguf");
    await writeFile(clash, "{}");
    assert.equal(await rejectionCode(registry.load(clash)), "NT_E_BAD_REQUEST");
    assert.equal((await registry.load(clash, { name: "same-2" })).name, "same-2");
  });

  it("unloading during a generation cancels it in the engine and ends it with NT_E_CANCELLED", async () => {
    fresh();
    const model = await registry.load(await modelFile("busy.gguf", { text: "x".repeat(200) }));
    const tokens: number[] = [];
    const generation = model.generate({ prompt: [1, 70] }, (event) => tokens.push(event.token), new AbortController().signal);
    const outcome = rejectionCode(generation);
    while (tokens.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await registry.unload("busy"), "busy");
    assert.equal(await outcome, "NT_E_CANCELLED");
    const native = engine.models[0]!;
    assert.equal(native.cancelCalls.length, 1, "the engine request was cancelled");
    assert.equal(native.disposed, true);
    assert.deepEqual(registry.list(), []);
    assert.equal(await rejectionCode(registry.get("busy")), "NT_E_MODEL_NOT_FOUND");
    assert.throws(() => model.tokenize("x", true, false), { code: "NT_E_MODEL_NOT_FOUND" });
  });

  it("unloads a model that is still loading once its load ends", async () => {
    fresh();
    const file = await modelFile("slow.gguf");
    const loading = registry.load(file);
    await untilLoading();
    const unloaded = registry.unload(file);
    await loading;
    assert.equal(await unloaded, "slow");
    assert.equal(engine.models[0]?.disposed, true);
  });

  it("loads a file again after it was unloaded", async () => {
    fresh();
    const file = await modelFile("again.gguf");
    await registry.load(file);
    await registry.unload("again");
    await registry.load(file);
    assert.equal(engine.loadCalls.length, 2);
  });

  it("on close unloads everything, cancels generations with the given reason and refuses later requests", async () => {
    fresh();
    const model = await registry.load(await modelFile("closing.gguf", { text: "y".repeat(200) }));
    const generation = model.generate({ prompt: [1] }, () => {}, new AbortController().signal);
    const reason = new NtError("NT_E_CANCELLED", "ntd is stopping");
    await registry.close(reason);
    await assert.rejects(generation, reason);
    assert.equal(engine.models[0]?.disposed, true);
    assert.equal(await rejectionCode(registry.load(await modelFile("late.gguf"))), "NT_E_CANCELLED");
  });

  it("stops a waiter whose signal aborts, while the shared load goes on", async () => {
    fresh();
    const file = await modelFile("abandoned.gguf");
    const controller = new AbortController();
    const waiting = registry.load(file, { signal: controller.signal });
    const other = registry.load(file);
    controller.abort();
    assert.equal(await rejectionCode(waiting), "NT_E_CANCELLED");
    assert.equal((await other).name, "abandoned");
  });
});
