import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { NtClient } from "../ctl/NtClient.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { NtError } from "../protocol/NtError.js";
import type { GenerationStreamEvent } from "../protocol/verbs/generationStreamEvent.js";
import { fakeEngine, type FakeEngine, type FakeModelFile, type FakeNativeModel } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { RawConnection } from "./support/RawConnection.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

async function rejectionOf(promise: Promise<unknown>): Promise<NtError | string> {
  try {
    await promise;
    return "resolved";
  } catch (err) {
    return err instanceof NtError ? err : `not an NtError: ${String(err)}`;
  }
}

async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const outcome = await rejectionOf(promise);
  return typeof outcome === "string" ? outcome : outcome.code;
}

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";

describe("ntd generation with a fake engine", () => {
  let daemon: TestDaemon;
  let dir: TestDaemon["dir"];
  let engine: FakeEngine;
  let client: NtClient;
  let plain: FakeNativeModel;
  /** Writes a fake model file, has the daemon load it, and returns the engine's model. */
  const loadFake = async (name: string, content: FakeModelFile = {}): Promise<FakeNativeModel> => {
    const file = path.join(dir.dir, `${name}.gguf`);
    await writeFile(file, JSON.stringify(content));
    await client.request("load", { model: file });
    return engine.models.find((m) => m.path === file)!;
  };

  before(async () => {
    engine = fakeEngine({ tokenDelayMs: 10 });
    // More models than the default maximum (3) stay loaded here: these tests use them side by side.
    daemon = await startTestDaemon({ loadEngine: () => engine, models: { maxLoadedModels: 16 } });
    ({ dir, client } = daemon);
    await loadFake("story", { text: "Once upon a time" });
    await loadFake("echo", { chatTemplate: CHATML });
    plain = await loadFake("plain");
  });

  after(() => daemon.stop());

  it("streams progress events while loading, then answers with the model's name, path and facts", async () => {
    const file = path.join(dir.dir, "fresh.gguf");
    await writeFile(file, JSON.stringify({ chatTemplate: CHATML, nCtx: 64 }));
    const events: { done: number; total: number }[] = [];
    const result = await client.request("load", { model: file }, { onEvent: (e) => events.push(e) });
    assert.equal(result.name, "fresh");
    assert.equal(result.path, file);
    assert.equal(result.info.nCtx, 64);
    assert.equal(result.info.chatFormat, "chatml");
    assert.ok(events.length >= 2, "several progress events");
    assert.ok(events.every((e, i) => i === 0 || e.done >= events[i - 1]!.done), "progress never goes back");
    assert.equal(events.at(-1)?.done, events.at(-1)?.total);
  });

  it("streams each token as an event before the result, whose text the events add up to", async () => {
    const arrivals: number[] = [];
    const events: GenerationStreamEvent[] = [];
    const started = performance.now();
    const result = await client.request("generate", { model: "story", prompt: "Tell me" }, {
      onEvent: (event) => {
        arrivals.push(performance.now() - started);
        events.push(event);
      },
    });
    const finished = performance.now() - started;
    assert.equal(result.text, "Once upon a time");
    assert.equal(result.reason, "stop");
    assert.equal(result.tokens.length, "Once upon a time".length);
    assert.equal(events.filter((e) => e.type === "token").length, result.tokens.length);
    assert.equal(events.map((e) => ("text" in e ? e.text : "")).join(""), result.text);
    // 16 tokens, 10 ms apart: the first must arrive long before the end, not in one burst with the result.
    assert.ok(arrivals[0]! < finished - 100, `first event at ${arrivals[0]} ms, result at ${finished} ms`);
    assert.equal(result.promptTokens[0], 1, "BOS added by default");
    assert.equal(result.timings.predicted_n, result.tokens.length);
    assert.ok(result.timings.predicted_per_second > 0);
  });

  it("cancel mid-stream ends the request with NT_E_CANCELLED and cancels the engine request", async () => {
    const story = engine.models.find((m) => m.path.endsWith("story.gguf"))!;
    const cancelsBefore = story.cancelCalls.length;
    const controller = new AbortController();
    let events = 0;
    const outcome = await rejectionCode(client.request("generate", { model: "story", prompt: "x" }, {
      signal: controller.signal,
      onEvent: () => {
        if (++events === 3) controller.abort();
      },
    }));
    assert.equal(outcome, "NT_E_CANCELLED");
    await until(() => story.cancelCalls.length === cancelsBefore + 1, "the engine request is cancelled");
    await until(() => story.stats().active === 0, "the engine request has ended");
  });

  it("sends no event after the cancel's answer", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    await raw.greet();
    raw.send({ kind: "request", id: 1, verb: "generate", params: { model: "story", prompt: "x" } });
    assert.equal((await raw.next() as { kind: string }).kind, "event");
    raw.send({ kind: "cancel", id: 1 });
    let frame = await raw.next() as { kind: string; id: number; error?: { code: string } };
    while (frame.kind === "event") frame = await raw.next() as typeof frame; // sent before the cancel arrived
    assert.deepEqual([frame.kind, frame.id, frame.error?.code], ["error", 1, "NT_E_CANCELLED"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    raw.send({ kind: "request", id: 2, verb: "ping", params: {} });
    assert.deepEqual((await raw.next() as { kind: string; id: number }).id, 2, "nothing of request 1 came in between");
    raw.destroy();
  });

  it("a client that disconnects mid-stream has its engine request cancelled", async () => {
    const story = engine.models.find((m) => m.path.endsWith("story.gguf"))!;
    const cancelsBefore = story.cancelCalls.length;
    const raw = await RawConnection.open(dir.socketPath);
    await raw.greet();
    raw.send({ kind: "request", id: 7, verb: "generate", params: { model: "story", prompt: "x" } });
    await raw.next();
    raw.destroy();
    await until(() => story.cancelCalls.length === cancelsBefore + 1, "the engine request is cancelled");
  });

  it("two clients generating at once each get their own tokens", async () => {
    const other = await NtClient.connect({ socketPath: dir.socketPath });
    const texts = ["", ""];
    let sawBothActive = false;
    const echo = engine.models.find((m) => m.path.endsWith("echo.gguf"))!;
    const results = await Promise.all([
      client.request("generate", { model: "echo", prompt: "abcdef" }, { onEvent: (e) => { if (e.type !== "progress") texts[0] += e.text; } }),
      other.request("generate", { model: "echo", prompt: "uvwxyz" }, {
        onEvent: (e) => {
          if (e.type !== "progress") texts[1] += e.text;
          sawBothActive ||= echo.stats().active === 2;
        },
      }),
    ]);
    other.close();
    assert.deepEqual(results.map((r) => r.text), [" fedcba.", " zyxwvu."]);
    assert.deepEqual(texts, [" fedcba.", " zyxwvu."]);
    assert.ok(sawBothActive, "the two generations ran at the same time");
  });

  it("ends at a stop string, which is not returned, with reason stop", async () => {
    const result = await client.request("generate", { model: "story", prompt: "x", stop: ["time", "upon"] });
    assert.equal(result.text, "Once ");
    assert.equal(result.reason, "stop");
  });

  it("ends after maxTokens with reason length, the held-back bytes of a cut character in a final text event", async () => {
    const events: GenerationStreamEvent[] = [];
    const result = await client.request("generate", { model: "echo", prompt: "é", maxTokens: 2 }, { onEvent: (e) => events.push(e) });
    assert.equal(result.reason, "length");
    assert.deepEqual(events.map((e) => e.type), ["token", "token", "text"]);
    assert.equal(events.map((e) => ("text" in e ? e.text : "")).join(""), result.text);
  });

  it("ends with reason context when the context fills up", async () => {
    const file = path.join(dir.dir, "small.gguf");
    await writeFile(file, JSON.stringify({ nCtx: 8, text: "a long answer" }));
    await client.request("load", { model: file });
    const result = await client.request("generate", { model: "small", prompt: "ab" });
    assert.equal(result.reason, "context");
    assert.equal(result.promptTokens.length + result.tokens.length, 8);
  });

  it("uses token ids as given, without adding BOS", async () => {
    const result = await client.request("generate", { model: "echo", tokens: [3 + 0x61, 3 + 0x62] });
    assert.deepEqual(result.promptTokens, [3 + 0x61, 3 + 0x62]);
    assert.equal(result.text, " ba.");
  });

  it("refuses bad generate requests with NT_E_BAD_REQUEST, the engine's message naming the context", async () => {
    assert.equal(await rejectionCode(client.request("generate", { model: "echo", prompt: "x", maxTokens: 0 })), "NT_E_BAD_REQUEST");
    assert.equal(await rejectionCode(client.request("generate", { model: "echo", prompt: "x", tokens: [5] })), "NT_E_BAD_REQUEST");
    assert.equal(await rejectionCode(client.request("generate", { model: "echo" })), "NT_E_BAD_REQUEST");
    assert.equal(await rejectionCode(client.request("generate", { model: "echo", tokens: [259] })), "NT_E_BAD_REQUEST");
    assert.equal(await rejectionCode(client.request("generate", { model: "echo", prompt: "", addSpecial: false })), "NT_E_BAD_REQUEST");
    const tooLong = await rejectionOf(client.request("generate", { model: "echo", prompt: "z".repeat(200) }));
    assert.ok(tooLong instanceof NtError);
    assert.equal(tooLong.code, "NT_E_BAD_REQUEST");
    assert.match(tooLong.message, /context/);
  });

  it("answers a model that is not loaded with NT_E_MODEL_NOT_FOUND, a missing file with NT_E_NOT_FOUND", async () => {
    assert.equal(await rejectionCode(client.request("generate", { model: "ghost", prompt: "x" })), "NT_E_MODEL_NOT_FOUND");
    assert.equal(await rejectionCode(client.request("load", { model: path.join(dir.dir, "ghost.gguf") })), "NT_E_NOT_FOUND");
  });

  it("passes the engine's NT_E_UNSUPPORTED for a model it cannot load", async () => {
    const file = path.join(dir.dir, "exotic.gguf");
    await writeFile(file, JSON.stringify({ fail: { code: "NT_E_UNSUPPORTED", message: "architecture mamba is not supported" } }));
    const refusal = await rejectionOf(client.request("load", { model: file }));
    assert.ok(refusal instanceof NtError);
    assert.equal(refusal.code, "NT_E_UNSUPPORTED");
    assert.match(refusal.message, /mamba/);
  });

  it("chat formats the conversation with the model's template, tokenized with BOS and special tokens", async () => {
    const echo = engine.models.find((m) => m.path.endsWith("echo.gguf"))!;
    const result = await client.request("chat", {
      model: "echo", maxTokens: 4,
      messages: [{ role: "system", content: "Be brief" }, { role: "user", content: "Hi" }],
    });
    const prompt = echo.requests.at(-1)!.prompt;
    assert.equal(result.promptTokens[0], 1);
    assert.equal(echo.detokenize(prompt),
      "<|im_start|>system\nBe brief<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assert.equal(result.tokens.length, 4);
  });

  it("chat with a model without a template uses ChatML, as llama-server does", async () => {
    const result = await client.request("chat", { model: "plain", messages: [{ role: "user", content: "Hi" }], maxTokens: 1 });
    assert.equal(plain.detokenize(result.promptTokens.slice(1)), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assert.equal((await client.request("generate", { model: "plain", prompt: "ok", maxTokens: 1 })).tokens.length, 1);
  });

  it("tokenizes with BOS by default and detokenizes back", async () => {
    const { tokens } = await client.request("tokenize", { model: "echo", text: "héllo" });
    assert.equal(tokens[0], 1);
    assert.equal((await client.request("tokenize", { model: "echo", text: "hi", addSpecial: false })).tokens.length, 2);
    assert.equal((await client.request("detokenize", { model: "echo", tokens })).text, "héllo");
    assert.equal(await rejectionCode(client.request("detokenize", { model: "echo", tokens: [100000] })), "NT_E_BAD_REQUEST");
  });

  it("lists loaded models in status with their state, architecture, context, weights and load", async () => {
    const status = await client.request("status", {});
    const story = status.models.find((m) => m.name === "story");
    const { name, path: file, state, architecture, nCtx, weightBytes, active, queued } = story ?? {};
    assert.deepEqual({ name, file: file && path.basename(file), state, architecture, nCtx, weightBytes, active, queued }, {
      name: "story", file: "story.gguf", state: "loaded", architecture: "llama", nCtx: 128, weightBytes: 4096, active: 0, queued: 0,
    });
    assert.equal(story?.keepAliveSeconds, 300, "the default keep-alive, 5 minutes");
    assert.ok(story?.lastTimings && story.lastTimings.predicted_n > 0, "the last generation's timings");
  });

  it("unloading a model ends its generations with NT_E_CANCELLED and frees it", async () => {
    const file = path.join(dir.dir, "doomed.gguf");
    await writeFile(file, JSON.stringify({ text: "z".repeat(300) }));
    await client.request("load", { model: file });
    let started!: () => void;
    const firstToken = new Promise<void>((resolve) => { started = resolve; });
    const generation = rejectionOf(client.request("generate", { model: "doomed", prompt: "x" }, { onEvent: () => started() }));
    await firstToken;
    assert.deepEqual(await client.request("unload", { model: "doomed" }), { name: "doomed" });
    const outcome = await generation;
    assert.ok(outcome instanceof NtError);
    assert.equal(outcome.code, "NT_E_CANCELLED");
    assert.match(outcome.message, /unloaded/);
    assert.equal(engine.models.find((m) => m.path === file)?.disposed, true);
    assert.ok(!(await client.request("status", {})).models.some((m) => m.name === "doomed"));
  });
});

describe("ntd stopping with generations in flight", () => {
  it("ends them with NT_E_CANCELLED saying the daemon stops, unloads the models and removes its socket", async () => {
    const dir = await makeSocketDir();
    const engine = fakeEngine({ tokenDelayMs: 10 });
    const server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: () => engine });
    await server.start();
    const client = await NtClient.connect({ socketPath: dir.socketPath });
    const file = path.join(dir.dir, "long.gguf");
    await writeFile(file, JSON.stringify({ text: "w".repeat(500) }));
    await client.request("load", { model: file });
    let started!: () => void;
    const firstToken = new Promise<void>((resolve) => { started = resolve; });
    const generation = rejectionOf(client.request("generate", { model: "long", prompt: "x" }, { onEvent: () => started() }));
    await firstToken;
    await server.stop();
    const outcome = await generation;
    assert.ok(outcome instanceof NtError);
    assert.equal(outcome.code, "NT_E_CANCELLED");
    assert.match(outcome.message, /stopping/);
    assert.equal(engine.models[0]?.disposed, true);
    client.close();
    await dir.remove();
  });
});
