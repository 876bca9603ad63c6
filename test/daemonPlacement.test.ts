import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { NativePlacement } from "../cuda-engine/js/EngineBinding.js";
import type { NtClient } from "../ctl/NtClient.js";
import { DaemonMetrics } from "../daemon/metrics/DaemonMetrics.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { capturingLogger } from "./support/capturingLogger.js";
import { fakeEngine, type FakeEngine, type FakeModelFile } from "./support/fakeEngine.js";
import { fakePlacement } from "./support/fakePlacement.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

const MiB = 2 ** 20;

/** The value of one Prometheus sample, `name{labels}` as prom-client writes it; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the daemon and the three-tier placement (fake engine)", () => {
  let daemon: TestDaemon;
  let dir: TestDaemon["dir"];
  let engine: FakeEngine;
  let client: NtClient;
  const log = capturingLogger();
  const file = async (name: string, content: FakeModelFile = {}): Promise<string> => {
    const where = path.join(dir.dir, `${name}.gguf`);
    await writeFile(where, JSON.stringify(content));
    return where;
  };

  before(async () => {
    engine = fakeEngine({ tokenDelayMs: 1 });
    daemon = await startTestDaemon({
      loadEngine: () => engine, logger: log.logger,
      models: { defaultLoad: { backend: "auto", vramBudget: 8 * 2 ** 30 } },
    });
    ({ dir, client } = daemon);
  });

  after(() => daemon.stop());

  it("passes load's backend, budgets and staging slots to the engine", async () => {
    const model = await file("asked");
    await client.request("load", { model, backend: "cpu", vramBudget: 3 * 2 ** 30, pinnedBudget: 0, stagingSlots: 5 });
    assert.deepEqual(engine.loadOptions.at(-1),
      { maxSequences: 4, backend: "cpu", vramBudget: 3 * 2 ** 30, pinnedBudget: 0, stagingSlots: 5 });
  });

  it("fills what a load leaves out from the daemon's defaults, and passes no undefined keys", async () => {
    await client.request("load", { model: await file("defaults") });
    const options = engine.loadOptions.at(-1) ?? {};
    assert.deepEqual(options, { maxSequences: 4, backend: "auto", vramBudget: 8 * 2 ** 30 });
    assert.ok(!Object.values(options).includes(undefined));
  });

  it("applies the defaults to the auto-load of a generate given a path", async () => {
    await client.request("generate", { model: await file("lazy", { text: "ok" }), prompt: "x" });
    assert.deepEqual(engine.loadOptions.at(-1), { maxSequences: 4, backend: "auto", vramBudget: 8 * 2 ** 30 });
  });

  it("answers a load with the backend and the placement in wire form, tiers named vram/pinned/streamed", async () => {
    const loaded = await client.request("load", { model: await file("placed"), backend: "cpu" });
    assert.equal(loaded.info.backend, "cpu");
    const placement = loaded.info.placement;
    assert.ok(placement);
    assert.deepEqual(placement.bytes, { vram: 640 * MiB, pinned: 256 * MiB, streamed: 256 * MiB });
    assert.equal(placement.bytesPerPass, 512 * MiB);
    assert.deepEqual(placement.budgets, { vram: 1024 * MiB, pinned: 512 * MiB });
    assert.equal(placement.boundTokensPerSecond, 19.2);
    assert.deepEqual(placement.rows[1], { name: "blk.1", layer: 1, bytes: { vram: 0, pinned: 256 * MiB, streamed: 256 * MiB }, ms: 48.5 });
    assert.equal(placement.text, fakePlacement().text);
  });

  it("logs the placement table once per load, at info level", async () => {
    const before = log.lines.length;
    await client.request("load", { model: await file("logged") });
    await client.request("load", { model: "logged" });
    const tables = log.lines.slice(before).filter((line) => line.includes("placement of logged:"));
    assert.equal(tables.length, 1, "a second load of a model held logs nothing new");
    assert.match(tables[0]!, /^info: placement of logged:\nLAYER +TIER/);
  });

  it("lists backend, placement and stage timers (with per-pass averages) in status", async () => {
    await client.request("generate", { model: "placed", prompt: "x", maxTokens: 2 });
    const { models } = await client.request("status", {});
    const placed = models.find((m) => m.name === "placed");
    assert.equal(placed?.backend, "cpu");
    assert.equal(placed?.placement?.rows.length, 3);
    assert.deepEqual(placed?.stages, {
      passes: 2, bytesRead: 2 * 256 * MiB, bytesCopied: 2 * 512 * MiB, readMs: 80, h2dMs: 40, computeMs: 20, stallMs: 60,
      perPass: { readMs: 40, h2dMs: 20, computeMs: 10, stallMs: 30 },
    });
  });
});

describe("a placement the protocol cannot carry", () => {
  it("is left out of status with one warning, and the model still serves", async () => {
    const dir = await makeSocketDir();
    const engine = fakeEngine();
    const broken = { ...fakePlacement(), links: undefined } as unknown as NativePlacement;
    const loadModel = engine.loadModel;
    engine.loadModel = async (...args) => {
      const model = await loadModel(...args);
      const info = model.info.bind(model);
      model.info = () => ({ ...info(), placement: broken });
      return model;
    };
    const log = capturingLogger();
    const registry = new ModelRegistry({ loadEngine: () => engine, logger: log.logger });
    try {
      const where = path.join(dir.dir, "odd.gguf");
      await writeFile(where, JSON.stringify({ text: "ok" }));
      const model = await registry.load(where);
      assert.equal(model.placement, undefined);
      assert.equal(registry.list()[0]?.placement, undefined);
      assert.equal(registry.list()[0]?.backend, "cuda");
      assert.equal(log.lines.filter((l) => l.startsWith("warn: placement of odd left out of status: ")).length, 1);
      assert.match(log.lines.join(""), /links\.vramGBps/, "the warning names the field");
    } finally {
      await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
      await dir.remove();
    }
  });
});

describe("placement metrics", () => {
  it("export weight bytes per tier and stage times while a model is loaded, and drop them after its unload", async () => {
    const dir = await makeSocketDir();
    const engine = fakeEngine({ tokenDelayMs: 1 });
    const registry = new ModelRegistry({ loadEngine: () => engine });
    const metrics = new DaemonMetrics({ processMetrics: false });
    const unwatch = metrics.watchModels(() => registry.list());
    const scrape = async () => (await metrics.scrape()).text;
    try {
      const where = path.join(dir.dir, "metered.gguf");
      await writeFile(where, JSON.stringify({ text: "abc" }));
      assert.equal(sample(await scrape(), 'ntd_model_bytes{model="metered",tier="vram"}'), undefined);
      const model = await registry.load(where);
      await model.generate({ prompt: [1, 3] }, () => {}, new AbortController().signal);
      const text = await scrape();
      assert.equal(sample(text, 'ntd_model_bytes{model="metered",tier="vram"}'), 640 * MiB);
      assert.equal(sample(text, 'ntd_model_bytes{model="metered",tier="pinned"}'), 256 * MiB);
      assert.equal(sample(text, 'ntd_model_bytes{model="metered",tier="streamed"}'), 256 * MiB);
      assert.equal(sample(text, 'ntd_model_bound_tokens_per_second{model="metered"}'), 19.2);
      assert.equal(sample(text, 'ntd_stream_passes_total{model="metered"}'), 3);
      assert.equal(sample(text, 'ntd_stream_stage_seconds_total{model="metered",stage="stall"}'), 0.09);
      assert.equal(sample(text, 'ntd_stream_stage_seconds_total{model="metered",stage="read"}'), 0.12);
      assert.equal(sample(text, 'ntd_stream_bytes_total{model="metered",stage="h2d"}'), 3 * 512 * MiB);
      assert.match(text, /# TYPE ntd_stream_stage_seconds_total counter/);
      await registry.unload("metered");
      const gone = await scrape();
      assert.equal(sample(gone, 'ntd_model_bytes{model="metered",tier="vram"}'), undefined);
      assert.equal(sample(gone, 'ntd_stream_passes_total{model="metered"}'), undefined);
    } finally {
      unwatch();
      await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
      await dir.remove();
    }
  });
});
