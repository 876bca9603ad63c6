import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoadedModel } from "../daemon/models/LoadedModel.js";
import { ModelRegistry, type ModelRegistryOptions } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { parseKeepAlive } from "../protocol/parseKeepAlive.js";
import { fakeEngine, type FakeEngine, type FakeModelFile } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { rejectionCode } from "./support/rejectionCode.js";


/** Polls until `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** Generates from a model through the registry's public API, as the handlers do (prompt "x"). */
function generate(model: LoadedModel, signal = new AbortController().signal): Promise<unknown> {
  return model.generate({ prompt: model.tokenize("x", true, false) }, () => {}, signal);
}

describe("parseKeepAlive", () => {
  it("reads durations, seconds, 0 and negative values as Ollama does", () => {
    assert.equal(parseKeepAlive("5m"), 300_000);
    assert.equal(parseKeepAlive("30s"), 30_000);
    assert.equal(parseKeepAlive("1h30m"), 5_400_000);
    assert.equal(parseKeepAlive("200ms"), 200);
    assert.equal(parseKeepAlive(0.25), 250);
    assert.equal(parseKeepAlive("300"), 300_000);
    assert.equal(parseKeepAlive(0), 0);
    assert.equal(parseKeepAlive(-1), Infinity);
    assert.equal(parseKeepAlive("-1m"), Infinity);
    assert.throws(() => parseKeepAlive("5 minutes"), (err: NtError) => err.code === "NT_E_BAD_REQUEST");
  });
});

describe("model lifecycle in the registry", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  const registries: ModelRegistry[] = [];
  /** Writes a fake model file and returns its absolute path. */
  const modelFile = async (name: string, content: FakeModelFile = {}) => {
    const file = path.join(dir.dir, `${name}.gguf`);
    await writeFile(file, JSON.stringify(content));
    return file;
  };
  const fresh = (options: Partial<ModelRegistryOptions> = {}, loadStepMs = 1) => {
    const own = fakeEngine({ tokenDelayMs: 5, loadStepMs });
    engine = own;
    const registry = new ModelRegistry({ loadEngine: () => own, cancelGraceMs: 500, ...options });
    registries.push(registry);
    return registry;
  };
  const stateOf = (registry: ModelRegistry, name: string) => registry.list().find((m) => m.name === name)?.state ?? "unloaded";

  before(async () => {
    dir = await makeSocketDir();
  });

  after(async () => {
    await Promise.all(registries.map((r) => r.close(new NtError("NT_E_CANCELLED", "test over"))));
    await dir.remove();
  });

  it("goes loading (with progress) → loaded → unloading → unloaded", async () => {
    const registry = fresh({}, 30);
    const file = await modelFile("cycle");
    const loading = registry.load(file);
    await until(() => (registry.list()[0]?.progress?.done ?? 0) > 0, "load progress is reported");
    assert.equal(stateOf(registry, "cycle"), "loading");
    const model = await loading;
    assert.equal(stateOf(registry, "cycle"), "loaded");
    const generation = rejectionCode(model.generate({ prompt: [1], maxTokens: 1000 }, () => {}, new AbortController().signal));
    const unloading = registry.unload("cycle");
    assert.equal(stateOf(registry, "cycle"), "unloading");
    await unloading;
    assert.equal(stateOf(registry, "cycle"), "unloaded");
    assert.equal(await generation, "NT_E_CANCELLED");
  });

  it("loads with the configured context size and threads unless the load gives its own, also after configure()", async () => {
    const loaded: [string, number][] = [];
    const registry = fresh({ defaultLoad: { nCtx: 512, threads: 3 }, onLoaded: (name, seconds) => loaded.push([name, seconds]) });
    const byDefault = await registry.load(await modelFile("defaults"));
    assert.deepEqual([byDefault.info.nCtx, byDefault.info.threads], [512, 3]);
    const own = await registry.load(await modelFile("own"), { nCtx: 64, threads: 1 });
    assert.deepEqual([own.info.nCtx, own.info.threads], [64, 1]);
    registry.configure({ defaultLoad: { nCtx: 256 } });
    const reloaded = await registry.load(await modelFile("reloaded"));
    assert.deepEqual([reloaded.info.nCtx, reloaded.info.threads], [256, 1]);
    assert.deepEqual(loaded.map(([name]) => name), ["defaults", "own", "reloaded"]);
    assert.ok(loaded.every(([, seconds]) => seconds >= 0));
  });

  it("keeps a failed load listed with its code until the next load of the file, which replaces it", async () => {
    const registry = fresh();
    const file = await modelFile("flaky", { fail: { code: "NT_E_BAD_GGUF", message: "truncated" } });
    assert.equal(await rejectionCode(registry.load(file)), "NT_E_BAD_GGUF");
    const [failed] = registry.list();
    assert.deepEqual([failed?.state, failed?.error?.code], ["failed", "NT_E_BAD_GGUF"]);
    assert.equal(await rejectionCode(registry.get("flaky")), "NT_E_MODEL_NOT_FOUND");
    await writeFile(file, "{}");
    await registry.load(file);
    assert.deepEqual(registry.list().map((m) => [m.name, m.state, m.error]), [["flaky", "loaded", undefined]]);
  });

  it("drops a failed entry on unload", async () => {
    const registry = fresh();
    const file = await modelFile("broken", { fail: { code: "NT_E_UNSUPPORTED", message: "mamba" } });
    await rejectionCode(registry.load(file));
    assert.equal(await registry.unload("broken"), "broken");
    assert.deepEqual(registry.list(), []);
  });

  it("unloads a model once idle for its keep-alive, and shows when in expiresAt", async () => {
    const registry = fresh({ defaultKeepAlive: "200ms" });
    const before = Date.now();
    await registry.load(await modelFile("brief"));
    const [status] = registry.list();
    assert.equal(status?.keepAliveSeconds, 0.2);
    assert.ok(typeof status?.expiresAt === "number" && status.expiresAt >= before + 200 && status.expiresAt <= Date.now() + 200);
    await sleep(80);
    assert.equal(stateOf(registry, "brief"), "loaded");
    await until(() => stateOf(registry, "brief") === "unloaded", "the keep-alive unloads it");
    assert.equal(engine.models[0]?.disposed, true);
  });

  it("restarts the timer after each request, from that request's keep-alive", async () => {
    const registry = fresh({ defaultKeepAlive: "150ms" });
    await registry.load(await modelFile("renewed"));
    await sleep(100);
    const model = await registry.get("renewed", undefined, { keepAlive: "400ms" });
    await generate(model);
    await sleep(250); // past the first 150 ms, within the new 400 ms
    assert.equal(stateOf(registry, "renewed"), "loaded");
    assert.equal(registry.list()[0]?.keepAliveSeconds, 0.4);
    await until(() => stateOf(registry, "renewed") === "unloaded", "the request's keep-alive runs out");
  });

  it("never unloads a model with requests in flight, however short its keep-alive", async () => {
    const registry = fresh({ defaultKeepAlive: "50ms" });
    const model = await registry.load(await modelFile("worker", { text: "y".repeat(60) }));
    const generation = generate(model); // ~300 ms at 5 ms a token
    await sleep(150);
    assert.equal(stateOf(registry, "worker"), "loaded");
    assert.equal(registry.list()[0]?.expiresAt, undefined, "no timer runs while busy");
    await generation;
    await until(() => stateOf(registry, "worker") === "unloaded", "the timer unloads it after the request");
  });

  it("keep-alive 0 unloads right after the requests in flight end, not before", async () => {
    const registry = fresh();
    const model = await registry.load(await modelFile("once", { text: "z".repeat(30) }));
    const generation = generate(model);
    await registry.load("once", { keepAlive: 0 });
    await sleep(60);
    assert.equal(stateOf(registry, "once"), "loaded", "still generating");
    await generation;
    await until(() => stateOf(registry, "once") === "unloaded", "it is unloaded once idle");
  });

  it("a negative keep-alive never unloads: expiresAt is null", async () => {
    const registry = fresh({ defaultKeepAlive: "50ms" });
    await registry.load(await modelFile("forever"), { keepAlive: -1 });
    await sleep(150);
    assert.equal(stateOf(registry, "forever"), "loaded");
    assert.equal(registry.list()[0]?.expiresAt, null);
    assert.equal(registry.list()[0]?.keepAliveSeconds, -1);
  });

  it("loading past maxLoadedModels unloads the least recently used idle model first", async () => {
    const registry = fresh({ maxLoadedModels: 2 });
    await registry.load(await modelFile("first"));
    await registry.load(await modelFile("second"));
    await registry.get("first"); // now "second" is the least recently used
    await registry.load(await modelFile("third"));
    assert.deepEqual(registry.list().map((m) => m.name).sort(), ["first", "third"]);
    assert.equal(engine.models.find((m) => m.path.endsWith("second.gguf"))?.disposed, true);
  });

  it("refuses a load past maxLoadedModels with NT_E_BUSY when every model is busy, and loads once one is idle", async () => {
    const registry = fresh({ maxLoadedModels: 1 });
    const busy = await registry.load(await modelFile("busy", { text: "b".repeat(40) }));
    const generation = generate(busy);
    const extra = await modelFile("extra");
    assert.equal(await rejectionCode(registry.load(extra)), "NT_E_BUSY");
    assert.equal(stateOf(registry, "busy"), "loaded");
    await generation;
    await registry.load(extra);
    assert.deepEqual(registry.list().map((m) => m.name), ["extra"]);
  });

  it("refuses a generation past maxSequences + maxQueue with NT_E_BUSY at once, while the others finish", async () => {
    const registry = fresh({ maxSequences: 1, maxQueue: 1 });
    const model = await registry.load(await modelFile("narrow", { text: "n".repeat(20) }));
    const first = generate(model);
    const second = generate(model);
    const started = performance.now();
    assert.equal(await rejectionCode(generate(model)), "NT_E_BUSY");
    assert.ok(performance.now() - started < 50, "refused without waiting");
    assert.equal(await rejectionCode(first), "resolved");
    assert.equal(await rejectionCode(second), "resolved");
    assert.equal(await rejectionCode(generate(model)), "resolved", "accepted again once there is room");
  });

  it("cancelAll cancels every generation of a model and leaves it loaded", async () => {
    const registry = fresh();
    const model = await registry.load(await modelFile("stoppable", { text: "s".repeat(200) }));
    const generations = [generate(model), generate(model)].map(rejectionCode);
    await sleep(20);
    assert.deepEqual(registry.cancelAll("stoppable"), { name: "stoppable", cancelled: 2 });
    assert.deepEqual(await Promise.all(generations), ["NT_E_CANCELLED", "NT_E_CANCELLED"]);
    assert.equal(stateOf(registry, "stoppable"), "loaded");
    assert.equal(await rejectionCode(generate(model)), "resolved");
  });

  it("loads a model given by path on first use when autoLoad is asked, with progress", async () => {
    const registry = fresh();
    const file = await modelFile("lazy");
    assert.equal(await rejectionCode(registry.get(file)), "NT_E_MODEL_NOT_FOUND");
    const progress: number[] = [];
    const model = await registry.get(file, undefined, { autoLoad: true, keepAlive: "1h", onProgress: (done) => progress.push(done) });
    assert.equal(model.name, "lazy");
    assert.ok(progress.length > 0);
    assert.equal(registry.list()[0]?.keepAliveSeconds, 3600);
  });

  it("configure() applies a reloaded queue limit to the models held, and a reloaded default keep-alive to later loads", async () => {
    const registry = fresh({ maxSequences: 1, maxQueue: 0 });
    const model = await registry.load(await modelFile("reloaded", { text: "r".repeat(20) }));
    const first = generate(model);
    assert.equal(await rejectionCode(generate(model)), "NT_E_BUSY");
    registry.configure({ maxQueue: 1, defaultKeepAlive: "2h" });
    assert.equal(await rejectionCode(generate(model)), "resolved");
    await first;
    await registry.load(await modelFile("later"));
    assert.equal(registry.list().find((m) => m.name === "later")?.keepAliveSeconds, 7200);
    assert.equal(registry.list().find((m) => m.name === "reloaded")?.keepAliveSeconds, 300);
  });
});
