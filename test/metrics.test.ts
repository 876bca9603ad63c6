import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { NtClient } from "../ctl/NtClient.js";
import type { DaemonServer } from "../daemon/DaemonServer.js";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { fakeEngine, type FakeEngine } from "./support/fakeEngine.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

/**
 * The value of one sample in Prometheus' text format: `name{labels}` exactly as given (labels in
 * the order prom-client writes them, the order of labelNames); 0 when the series is absent.
 */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("ntd's Prometheus metrics", () => {
  let daemon: TestDaemon;
  let dir: TestDaemon["dir"];
  let engine: FakeEngine;
  let server: DaemonServer;
  let http: HttpServerHandle;
  let client: NtClient;
  let openai: OpenAI;
  const scrape = async (): Promise<string> => {
    const response = await fetch(`${http.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  before(async () => {
    engine = fakeEngine({ tokenDelayMs: 2 });
    daemon = await startTestDaemon({ loadEngine: () => engine });
    ({ dir, server, client } = daemon);
    http = await startHttpServer({ registry: server.models, listen: "127.0.0.1:0" });
    openai = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: "not-checked", maxRetries: 0 });
    for (const name of ["metered", "other"]) {
      const file = path.join(dir.dir, `${name}.gguf`);
      await writeFile(file, JSON.stringify({ text: `Once upon a time${" and so on".repeat(100)}`, nCtx: 2048 }));
      await client.request("load", { model: file });
    }
  });

  after(async () => {
    await http.close();
    await daemon.stop();
  });

  it("counts an HTTP completion's request, prompt and generated tokens, and times it", async () => {
    const before = await scrape();
    const completion = await openai.completions.create({ model: "metered", prompt: "Hi there", max_tokens: 9 });
    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    assert.equal(delta('ntd_requests_total{api="http",route="/v1/completions",code="ok"}'), 1);
    assert.equal(delta('ntd_prompt_tokens_total{model="metered"}'), completion.usage!.prompt_tokens);
    assert.equal(delta('ntd_generated_tokens_total{model="metered"}'), 9);
    assert.equal(delta('ntd_generation_duration_seconds_count{model="metered"}'), 1);
    assert.equal(delta('ntd_time_to_first_token_seconds_count{model="metered"}'), 1);
    assert.ok(delta('ntd_generation_duration_seconds_sum{model="metered"}') > 0);
    assert.equal(delta('ntd_generated_tokens_total{model="other"}'), 0);
  });

  it("counts socket verbs by verb and outcome code", async () => {
    const before = await scrape();
    await client.request("generate", { model: "other", prompt: "x", maxTokens: 4 });
    await assert.rejects(client.request("generate", { model: "missing", prompt: "x" }));
    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    assert.equal(delta('ntd_requests_total{api="socket",route="generate",code="ok"}'), 1);
    assert.equal(delta('ntd_requests_total{api="socket",route="generate",code="NT_E_MODEL_NOT_FOUND"}'), 1);
    assert.equal(delta('ntd_generated_tokens_total{model="other"}'), 4);
  });

  it("counts HTTP errors by their code, and unknown paths under one label", async () => {
    const before = await scrape();
    await openai.completions.create({ model: "nope", prompt: "x" }).catch(() => {});
    await fetch(`${http.url}/no/such/path`);
    await fetch(`${http.url}/another/${Math.random()}`);
    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    assert.equal(delta('ntd_requests_total{api="http",route="/v1/completions",code="NT_E_MODEL_NOT_FOUND"}'), 1);
    assert.equal(delta('ntd_requests_total{api="http",route="unmatched",code="NT_E_NOT_FOUND"}'), 2);
    assert.doesNotMatch(after, /no\/such\/path/);
  });

  it("reads models and sequences from the registry at scrape time", async () => {
    let text = await scrape();
    assert.equal(sample(text, 'ntd_models{state="loaded"}'), 2);
    assert.equal(sample(text, 'ntd_models{state="loading"}'), 0);
    assert.equal(sample(text, 'ntd_active_sequences{model="metered"}'), 0);
    assert.match(text, /^ntd_queued_sequences\{model="metered"\} 0$/m);
    // A generation in flight shows as one active sequence.
    const abort = new AbortController();
    const running = client.request("generate", { model: "metered", prompt: "x" },
      { signal: abort.signal }).catch(() => {});
    const metered = engine.models.find((m) => m.path.endsWith("metered.gguf"))!;
    while (metered.requests.length === 0 || metered.stats().active === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    text = await scrape();
    assert.equal(sample(text, 'ntd_active_sequences{model="metered"}'), 1);
    abort.abort();
    await running;
    await client.request("unload", { model: "other" });
    text = await scrape();
    assert.equal(sample(text, 'ntd_models{state="loaded"}'), 1);
    assert.doesNotMatch(text, /ntd_active_sequences\{model="other"\}/);
  });

  it("exports the process metrics beside ntd's", async () => {
    assert.match(await scrape(), /^process_resident_memory_bytes \d+/m);
  });
});
