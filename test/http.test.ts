import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI, { APIError } from "openai";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { fakeEngine, type FakeEngine, type FakeModelFile, type FakeNativeModel } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
const CHAT_TEXT = "Hello there, friend! How are you today?";

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The APIError a call rejects with (fails the test if it resolves or throws something else). */
async function apiErrorOf(call: Promise<unknown>): Promise<APIError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof APIError) return err;
    assert.fail(`expected an APIError, got ${String(err)}`);
  }
  assert.fail("expected the call to fail");
}

describe("ntd's OpenAI-compatible HTTP API with a fake engine", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let registry: ModelRegistry;
  let http: HttpServerHandle;
  let openai: OpenAI;
  const models: Record<string, FakeNativeModel> = {};

  const loadFake = async (name: string, content: FakeModelFile): Promise<void> => {
    const file = path.join(dir.dir, `${name}.gguf`);
    await writeFile(file, JSON.stringify(content));
    await registry.load(file);
    models[name] = engine.models.find((m) => m.path === file)!;
  };
  const post = (route: string, body: string) => fetch(`${http.url}${route}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body,
  });

  before(async () => {
    dir = await makeSocketDir();
    engine = fakeEngine({ tokenDelayMs: 5 });
    registry = new ModelRegistry({ loadEngine: () => engine });
    await loadFake("chat", { chatTemplate: CHATML, text: CHAT_TEXT, nCtx: 1024 });
    await loadFake("story", { text: "Once upon a time, there was a fox." });
    await loadFake("slow", { chatTemplate: CHATML, text: "x".repeat(400), nCtx: 1024 });
    http = await startHttpServer({ registry, listen: "127.0.0.1:0", maxBodyBytes: 64 * 1024 });
    // No retries: a test that fails should fail at once, with the first answer.
    openai = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: "not-checked", maxRetries: 0 });
  });

  after(async () => {
    await http.close();
    await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
    await dir.remove();
  });

  it("listens on loopback, on the port the system picked", () => {
    assert.equal(http.address.host, "127.0.0.1");
    assert.ok(http.address.port > 0);
  });

  it("lists the loaded models in OpenAI's list shape", async () => {
    const ids = [];
    for await (const model of openai.models.list()) {
      assert.equal(model.object, "model");
      assert.equal(model.owned_by, "ntd");
      ids.push(model.id);
    }
    assert.deepEqual(ids.sort(), ["chat", "slow", "story"]);
  });

  it("answers a chat completion through the model's chat template, with usage", async () => {
    const completion = await openai.chat.completions.create({
      model: "chat", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
    });
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, "chat");
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.choices.length, 1);
    assert.equal(completion.choices[0]!.message.role, "assistant");
    assert.equal(completion.choices[0]!.message.content, CHAT_TEXT);
    assert.equal(completion.choices[0]!.finish_reason, "stop");
    const request = models.chat!.requests.at(-1)!;
    const promptText = models.chat!.detokenize(request.prompt);
    assert.equal(promptText, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assert.equal(request.prompt[0], 1, "BOS added");
    assert.deepEqual(completion.usage, {
      prompt_tokens: request.prompt.length, completion_tokens: Buffer.byteLength(CHAT_TEXT),
      total_tokens: request.prompt.length + Buffer.byteLength(CHAT_TEXT),
    });
  });

  it("passes sampling fields to the engine under their engine names", async () => {
    await openai.chat.completions.create({
      model: "chat", messages: [{ role: "user", content: "Hi" }],
      temperature: 0.5, top_p: 0.9, seed: 42, max_completion_tokens: 7, presence_penalty: 0.25, frequency_penalty: 0.5,
    });
    const request = models.chat!.requests.at(-1)!;
    assert.equal(request.temperature, 0.5);
    assert.equal(request.topP, 0.9);
    assert.equal(request.seed, 42);
    assert.equal(request.maxTokens, 7);
    assert.equal(request.presencePenalty, 0.25);
    assert.equal(request.frequencyPenalty, 0.5);
  });

  it("ends with finish_reason length at max_tokens, and stop at a stop string (left out of the text)", async () => {
    const short = await openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 5 });
    assert.equal(short.choices[0]!.message.content, "Hello");
    assert.equal(short.choices[0]!.finish_reason, "length");
    assert.equal(short.usage?.completion_tokens, 5);
    const stopped = await openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Hi" }], stop: "," });
    assert.equal(stopped.choices[0]!.message.content, "Hello there");
    assert.equal(stopped.choices[0]!.finish_reason, "stop");
    const stoppedByList = await openai.chat.completions.create({
      model: "chat", messages: [{ role: "user", content: "Hi" }], stop: ["How", "!"],
    });
    assert.equal(stoppedByList.choices[0]!.message.content, "Hello there, friend");
  });

  it("streams a chat completion chunk by chunk; the chunks add up to the non-streamed text", async () => {
    const whole = await openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Hi" }] });
    const stream = await openai.chat.completions.create({
      model: "chat", messages: [{ role: "user", content: "Hi" }], stream: true, stream_options: { include_usage: true },
    });
    const arrivals: number[] = [];
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      chunks.push(chunk);
    }
    assert.ok(chunks.length > 10, `many chunks (got ${chunks.length})`);
    // 39 tokens at 5 ms each: the first chunk must arrive well before the last, not all at the end.
    assert.ok(arrivals.at(-1)! - arrivals[0]! > 50, "chunks arrive while generating");
    assert.equal(chunks[0]!.object, "chat.completion.chunk");
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    assert.ok(chunks.every((c) => c.id === chunks[0]!.id), "one id for the whole stream");
    const text = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? "")).join("");
    assert.equal(text, whole.choices[0]!.message.content);
    const finishes = chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter((r) => r !== null);
    assert.deepEqual(finishes, ["stop"]);
    const usageChunk = chunks.at(-1)!;
    assert.deepEqual(usageChunk.choices, []);
    assert.deepEqual(usageChunk.usage, whole.usage);
  });

  it("ends an SSE stream with data: [DONE]", async () => {
    const response = await post("/v1/chat/completions", JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Hi" }], stream: true }));
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const body = await response.text();
    const events = body.split("\n\n").filter((e) => e !== "");
    assert.ok(events.every((e) => e.startsWith("data: ")), "every event is a data line");
    assert.equal(events.at(-1), "data: [DONE]");
  });

  it("answers /v1/completions, whole and streamed", async () => {
    const completion = await openai.completions.create({ model: "story", prompt: "Tell me a story", max_tokens: 16 });
    assert.equal(completion.object, "text_completion");
    assert.equal(completion.choices[0]!.text, "Once upon a time");
    assert.equal(completion.choices[0]!.finish_reason, "length");
    assert.equal(completion.usage?.prompt_tokens, 1 + Buffer.byteLength("Tell me a story"));
    const stream = await openai.completions.create({ model: "story", prompt: "Tell me a story", stream: true });
    let text = "";
    let pieces = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      pieces++;
    }
    assert.ok(pieces > 5);
    assert.equal(text, "Once upon a time, there was a fox.");
  });

  it("accepts a model's path as well as its name", async () => {
    const completion = await openai.completions.create({ model: path.join(dir.dir, "story.gguf"), prompt: "x", max_tokens: 4 });
    assert.equal(completion.model, "story");
    assert.equal(completion.choices[0]!.text, "Once");
  });

  it("answers an unknown model with 404 and an OpenAI error body naming ntctl load", async () => {
    const error = await apiErrorOf(openai.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "Hi" }] }));
    assert.equal(error.status, 404);
    assert.equal(error.code, "NT_E_MODEL_NOT_FOUND");
    assert.equal(error.type, "invalid_request_error");
    assert.match(error.message, /ntctl load/);
  });

  it("answers chat with a model that has no chat template in ChatML, as llama-server does", async () => {
    await openai.chat.completions.create({ model: "story", messages: [{ role: "user", content: "Hi" }] });
    const request = models.story!.requests.at(-1)!;
    assert.equal(models.story!.detokenize(request.prompt.slice(1)), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  });

  it("answers bad JSON, invalid fields and a missing body with 400 in OpenAI's error shape", async () => {
    for (const body of ["{", "", JSON.stringify({ model: "chat" }), JSON.stringify({ model: "chat", prompt: "x", temperature: "hot" }),
      JSON.stringify({ model: "chat", prompt: "x", temperature: -1 }), JSON.stringify({ model: "chat", prompt: "x", n: 2 })]) {
      const response = await post("/v1/completions", body);
      assert.equal(response.status, 400, `400 for ${body}`);
      const answer = await response.json() as { error: { message: string; type: string; code: string } };
      assert.equal(answer.error.code, "NT_E_BAD_REQUEST");
      assert.equal(answer.error.type, "invalid_request_error");
      assert.ok(answer.error.message.length > 0);
    }
  });

  it("answers a prompt too long for the context with 400 before any stream starts", async () => {
    const error = await apiErrorOf(openai.completions.create({ model: "story", prompt: "y".repeat(500), stream: true }));
    assert.equal(error.status, 400);
    assert.equal(error.code, "NT_E_BAD_REQUEST");
  });

  it("answers unknown routes with 404, a wrong method with 405 and Allow, a body over the cap with 413", async () => {
    const unknown = await fetch(`${http.url}/v1/embeddings`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json() as { error: { code: string } }).error.code, "NT_E_NOT_FOUND");
    const wrongMethod = await fetch(`${http.url}/v1/chat/completions`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "POST");
    assert.ok((await wrongMethod.json() as { error?: unknown }).error);
    const huge = await post("/v1/completions", JSON.stringify({ model: "story", prompt: "z".repeat(100_000) }));
    assert.equal(huge.status, 413);
    assert.equal((await huge.json() as { error: { code: string } }).error.code, "NT_E_FRAME_TOO_LARGE");
  });

  it("cancels the engine's generation when the client aborts mid-stream", async () => {
    const slow = models.slow!;
    const cancelsBefore = slow.cancelCalls.length;
    const abort = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: "slow", messages: [{ role: "user", content: "Hi" }], stream: true }, { signal: abort.signal });
    let chunks = 0;
    // The client ends the iteration quietly on its own abort (some versions throw APIUserAbortError).
    await (async () => {
      for await (const chunk of stream) {
        assert.ok(chunk.choices.length > 0);
        if (++chunks === 3) abort.abort();
      }
    })().catch((err: unknown) => assert.ok(err instanceof APIError, String(err)));
    assert.ok(chunks < 50, `the stream stopped early (${chunks} chunks of 400)`);
    await until(() => slow.cancelCalls.length > cancelsBefore, "the engine request is cancelled");
    await until(() => slow.stats().active === 0, "the generation has ended");
    const request = slow.requests.at(-1)!;
    assert.ok(request.prompt.length > 0);
  });

  it("reports /health as ok when no model is loading", async () => {
    const response = await fetch(`${http.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });
});
