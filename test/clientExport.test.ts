import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
// Through the package's own name, as a program that installed ntransformer imports it: Node
// resolves a package's name from inside the package itself through its "exports" map.
import { NtClient } from "ntransformer/client";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { NtError } from "../protocol/NtError.js";
import type { GenerationStreamEvent } from "../protocol/verbs/generationStreamEvent.js";
import { fakeEngine, type FakeEngine, type FakeNativeModel } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (err) {
    return err instanceof NtError ? err.code : `not an NtError: ${String(err)}`;
  }
}

describe("the package's client export", () => {
  it("maps ntransformer and ntransformer/client to the compiled NtClient", () => {
    const compiled = new URL(`file://${path.resolve(here, "../ctl/NtClient.js")}`).href;
    assert.equal(import.meta.resolve("ntransformer/client"), compiled);
    assert.equal(import.meta.resolve("ntransformer"), compiled);
  });
});

describe("NtClient.generate and chat as async iterables, against DaemonServer with a fake engine", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let server: DaemonServer;
  let client: NtClient;
  let story: FakeNativeModel;

  before(async () => {
    dir = await makeSocketDir();
    engine = fakeEngine({ tokenDelayMs: 5 });
    server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: () => engine });
    await server.start();
    client = await NtClient.connect({ socketPath: dir.socketPath, clientName: "clientExport.test" });
    const file = path.join(dir.dir, "story.gguf");
    await writeFile(file, JSON.stringify({ text: "Once upon a time", chatTemplate: "<|im_start|>" }));
    await client.request("load", { model: file });
    story = engine.models[0]!;
  });

  after(async () => {
    client.close();
    await server.stop();
    await dir.remove();
  });

  it("yields each token event, then ends; result is the Generation the events add up to", async () => {
    const stream = client.generate({ model: "story", prompt: "Tell me" });
    const events: GenerationStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const result = await stream.result;
    assert.equal(result.text, "Once upon a time");
    assert.equal(result.reason, "stop");
    assert.equal(events.filter((e) => e.type === "token").length, result.tokens.length);
    assert.equal(events.map((e) => ("text" in e ? e.text : "")).join(""), result.text);
  });

  it("chat streams the same way", async () => {
    const stream = client.chat({ model: "story", messages: [{ role: "user", content: "Hi" }], maxTokens: 4 });
    let tokens = 0;
    for await (const event of stream) if (event.type === "token") tokens++;
    assert.equal(tokens, 4);
    assert.equal((await stream.result).reason, "length");
  });

  it("aborting the signal mid-stream sends cancel: the loop and result fail with NT_E_CANCELLED, the engine request is cancelled", async () => {
    const cancelsBefore = story.cancelCalls.length;
    const controller = new AbortController();
    const stream = client.generate({ model: "story", prompt: "x" }, { signal: controller.signal });
    let seen = 0;
    const loop = (async () => {
      for await (const event of stream) {
        if (event.type === "token" && ++seen === 3) controller.abort();
      }
    })();
    assert.equal(await codeOf(loop), "NT_E_CANCELLED");
    assert.equal(await codeOf(stream.result), "NT_E_CANCELLED");
    assert.ok(seen >= 3 && seen < "Once upon a time".length, `stopped mid-stream after ${seen} tokens`);
    await until(() => story.cancelCalls.length === cancelsBefore + 1, "the engine request is cancelled");
    await until(() => story.stats().active === 0, "the engine request has ended");
  });

  it("an already aborted signal cancels at once", async () => {
    const stream = client.generate({ model: "story", prompt: "x" }, { signal: AbortSignal.abort() });
    assert.equal(await codeOf(stream.result), "NT_E_CANCELLED");
  });

  it("leaving the loop early cancels the request", async () => {
    const cancelsBefore = story.cancelCalls.length;
    const stream = client.generate({ model: "story", prompt: "x" });
    for await (const event of stream) if (event.type === "token") break;
    assert.equal(await codeOf(stream.result), "NT_E_CANCELLED");
    await until(() => story.cancelCalls.length === cancelsBefore + 1, "the engine request is cancelled");
  });

  it("a refused request fails the loop with the daemon's code", async () => {
    const stream = client.generate({ model: "ghost", prompt: "x" });
    const loop = (async () => { for await (const event of stream) assert.fail(`no event expected, got ${event.type}`); })();
    assert.equal(await codeOf(loop), "NT_E_MODEL_NOT_FOUND");
    assert.equal(await codeOf(stream.result), "NT_E_MODEL_NOT_FOUND");
  });
});
