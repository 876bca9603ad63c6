import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMessage } from "../protocol/parseMessage.js";
import { NtError } from "../protocol/NtError.js";
import { serverFrameSchema } from "../protocol/serverFrames.js";
import { VERBS, type VerbName } from "../protocol/verbs.js";

/** The error code parsing `value` as the verb's `part` gives, or "ok". */
function verdict(verb: VerbName, part: "params" | "result" | "event", value: unknown): string {
  const schema = (VERBS[verb] as { params: unknown; result: unknown; event?: unknown })[part];
  if (!schema) return "no schema";
  try {
    parseMessage(schema as typeof VERBS.ping.params, value, part);
    return "ok";
  } catch (err) {
    return err instanceof NtError ? err.code : String(err);
  }
}

const timings = { prompt_n: 5, prompt_ms: 1.5, prompt_per_second: 3333, predicted_n: 2, predicted_ms: 4, predicted_per_second: 500 };
const generationResult = { model: "tiny", promptTokens: [1, 5], tokens: [7, 8], text: "hi", reason: "length", timings };
const modelInfo = {
  architecture: "llama", nVocab: 512, nCtx: 2048, nCtxTrain: 2048, nEmbd: 64, nLayer: 5, nHead: 8, nHeadKv: 4, nFf: 172,
  threads: 2, weightBytes: 1171200, kvBytesPerSequence: 2621440, bos: 1, eos: 2,
};

describe("model verbs: params", () => {
  it("accept a load by path with optional name, context and threads", () => {
    assert.equal(verdict("load", "params", { model: "/m/tiny.gguf" }), "ok");
    assert.equal(verdict("load", "params", { model: "/m/tiny.gguf", name: "tiny", nCtx: 512, threads: 4 }), "ok");
  });

  it("refuse a load name with a '/', a context of 0 and unknown fields", () => {
    assert.equal(verdict("load", "params", { model: "/m/x.gguf", name: "a/b" }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("load", "params", { model: "/m/x.gguf", nCtx: 0 }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("load", "params", { model: "/m/x.gguf", keepAlive: "5 minutes" }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("load", "params", { model: "" }), "NT_E_BAD_REQUEST");
  });

  it("accept a generate with a prompt or with token ids, and every sampling field", () => {
    assert.equal(verdict("generate", "params", { model: "m", prompt: "Once" }), "ok");
    assert.equal(verdict("generate", "params", { model: "m", tokens: [1, 2, 3] }), "ok");
    assert.equal(verdict("generate", "params", {
      model: "m", prompt: "x", addSpecial: false, parseSpecial: true, maxTokens: 32, temperature: 0, topK: 40, topP: 0.95,
      minP: 0.05, repeatPenalty: 1.1, frequencyPenalty: 0.5, presencePenalty: -0.5, penaltyLastN: 64, seed: 42,
      stop: ["\n\n"], ignoreEos: true,
    }), "ok");
  });

  it("accept the load options on generate and chat, with load's limits", () => {
    const load = { nCtx: 4096, threads: 8, backend: "cuda", vramBudget: 2 ** 30, pinnedBudget: 2 ** 32, stagingSlots: 4 };
    const chat = { model: "m", messages: [{ role: "user", content: "x" }] };
    assert.equal(verdict("generate", "params", { model: "m", prompt: "x", ...load }), "ok");
    assert.equal(verdict("chat", "params", { ...chat, ...load }), "ok");
    assert.equal(verdict("generate", "params", { model: "m", prompt: "x", nCtx: 0 }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("chat", "params", { ...chat, stagingSlots: 2 }), "NT_E_BAD_REQUEST");
  });

  it("refuse a generate with both prompt and tokens, or neither", () => {
    assert.equal(verdict("generate", "params", { model: "m", prompt: "x", tokens: [1] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("generate", "params", { model: "m" }), "NT_E_BAD_REQUEST");
  });

  it("refuse out-of-range sampling values with NT_E_BAD_REQUEST", () => {
    for (const bad of [
      { maxTokens: 0 }, { maxTokens: -1 }, { maxTokens: 1.5 }, { temperature: -0.1 }, { topK: -1 }, { topP: 1.5 },
      { minP: -0.1 }, { repeatPenalty: 0 }, { seed: -1 }, { seed: 2 ** 32 }, { stop: [""] },
      { stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }, { temperature: Number.NaN }, { frequencyPenalty: Infinity },
    ]) {
      assert.equal(verdict("generate", "params", { model: "m", prompt: "x", ...bad }), "NT_E_BAD_REQUEST", JSON.stringify(bad));
      assert.equal(verdict("chat", "params", { model: "m", messages: [{ role: "user", content: "x" }], ...bad }),
        "NT_E_BAD_REQUEST", JSON.stringify(bad));
    }
  });

  it("refuse negative or fractional token ids", () => {
    assert.equal(verdict("generate", "params", { model: "m", tokens: [-1] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("detokenize", "params", { model: "m", tokens: [1.5] }), "NT_E_BAD_REQUEST");
  });

  it("accept a chat of system, user and assistant messages, and refuse other roles or an empty conversation", () => {
    const messages = [{ role: "system", content: "s" }, { role: "user", content: "u" }, { role: "assistant", content: "a" }];
    assert.equal(verdict("chat", "params", { model: "m", messages }), "ok");
    assert.equal(verdict("chat", "params", { model: "m", messages: [] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("chat", "params", { model: "m", messages: [{ role: "tool", content: "t" }] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("chat", "params", { model: "m", messages: [{ role: "user", content: "u", name: "x" }] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("chat", "params", { model: "m", messages, prompt: "x" }), "NT_E_BAD_REQUEST");
  });
});

describe("model verbs: events", () => {
  it("define events for the streaming verbs only", () => {
    const streaming = (Object.keys(VERBS) as VerbName[]).filter((verb) => "event" in VERBS[verb]);
    assert.deepEqual(streaming.sort(), ["chat", "generate", "load"]);
  });

  it("accept token and text events, and refuse unknown types or fields", () => {
    assert.equal(verdict("generate", "event", { type: "token", token: 5, text: " the", logprob: -0.25 }), "ok");
    assert.equal(verdict("chat", "event", { type: "text", text: "…" }), "ok");
    assert.equal(verdict("generate", "event", { type: "token", token: 5, text: "x" }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("generate", "event", { type: "token", token: 5, text: "x", logprob: 0, extra: 1 }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("generate", "event", { type: "progress", done: 1 }), "NT_E_BAD_REQUEST");
  });

  it("accept load progress events on generate and chat, sent when they load the model", () => {
    assert.equal(verdict("generate", "event", { type: "progress", done: 1, total: 2 }), "ok");
    assert.equal(verdict("chat", "event", { type: "progress", done: 2, total: 2 }), "ok");
  });

  it("accept load progress events", () => {
    assert.equal(verdict("load", "event", { type: "progress", done: 10, total: 100 }), "ok");
    assert.equal(verdict("load", "event", { type: "progress", done: -1, total: 100 }), "NT_E_BAD_REQUEST");
  });

  it("travel in event frames with the request's id", () => {
    const frame = { kind: "event", id: 4, event: { type: "token", token: 1, text: "a", logprob: -1 } };
    assert.ok(serverFrameSchema.safeParse(frame).success);
    assert.ok(!serverFrameSchema.safeParse({ ...frame, id: -1 }).success);
  });
});

describe("model verbs: results", () => {
  it("accept a generation result with llama-server's timing names", () => {
    assert.equal(verdict("generate", "result", generationResult), "ok");
    assert.equal(verdict("chat", "result", { ...generationResult, reason: "stop" }), "ok");
    assert.equal(verdict("generate", "result", { ...generationResult, reason: "context" }), "ok");
  });

  it("refuse a generation result with another reason, missing timings or model, or camelCase timing names", () => {
    assert.equal(verdict("generate", "result", { ...generationResult, reason: "cancelled" }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("generate", "result", { ...generationResult, timings: undefined }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("generate", "result", { ...generationResult, timings: { ...timings, promptMs: 1 } }), "NT_E_BAD_REQUEST");
    assert.equal(verdict("generate", "result", { ...generationResult, model: undefined }), "NT_E_BAD_REQUEST");
  });

  it("accept a load result with the model's facts, a chat format optional", () => {
    assert.equal(verdict("load", "result", { name: "tiny", path: "/m/tiny.gguf", info: modelInfo }), "ok");
    assert.equal(verdict("load", "result", { name: "tiny", path: "/m/tiny.gguf", info: { ...modelInfo, chatFormat: "llama3" } }), "ok");
    assert.equal(verdict("load", "result", { name: "tiny", path: "/m/tiny.gguf", info: { ...modelInfo, nVocab: 0 } }), "NT_E_BAD_REQUEST");
  });

  it("accept status entries for loading, loaded and failed models, and no other state", () => {
    const base = { state: "ready", pid: 1, uptimeSeconds: 1, socket: "/s", version: "0.1.0", engine: { error: { code: "NT_E_ENGINE_UNAVAILABLE", message: "x" } } };
    const loading = { name: "big", path: "/m/big.gguf", state: "loading", progress: { done: 5, total: 10 }, active: 0, queued: 0 };
    const loaded = { name: "tiny", path: "/m/tiny.gguf", state: "loaded", architecture: "llama", nCtx: 2048, weightBytes: 1e6, active: 1, queued: 2 };
    assert.equal(verdict("status", "result", { ...base, models: [loading, loaded] }), "ok");
    const failed = { name: "moe", path: "/m/moe.gguf", state: "failed", error: { code: "NT_E_UNSUPPORTED", message: "x" }, active: 0, queued: 0 };
    const idle = { ...loaded, keepAliveSeconds: 300, expiresAt: 1.7e12, lastTimings: {
      prompt_n: 1, prompt_ms: 1, prompt_per_second: 1000, predicted_n: 2, predicted_ms: 4, predicted_per_second: 500 } };
    assert.equal(verdict("status", "result", { ...base, models: [failed, idle, { ...loaded, expiresAt: null }] }), "ok");
    assert.equal(verdict("status", "result", { ...base, models: [{ ...loaded, state: "sleeping" }] }), "NT_E_BAD_REQUEST");
  });

  it("accept tokenize, detokenize and unload results", () => {
    assert.equal(verdict("tokenize", "result", { tokens: [1, 2] }), "ok");
    assert.equal(verdict("detokenize", "result", { text: "x" }), "ok");
    assert.equal(verdict("unload", "result", { name: "tiny" }), "ok");
  });
});
