import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import type { NativeModel } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { chatPromptTokens } from "../daemon/chat/chatPromptTokens.js";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { engineMissing } from "./support/engineMissing.js";
import { findTestData } from "./support/findTestData.js";
import { logSoftmax } from "./support/logSoftmax.js";
import { testDataMissing } from "./support/testDataMissing.js";

// findTestData throws under CI=true when the file is missing: there, a missing data set fails.
const stories = findTestData("stories260K.gguf");
const skip = stories === undefined ? testDataMissing("stories260K.gguf") : engineMissing();

const TOKENS = 8;
const TOP = 5;
/** Float32 logits through two log-softmax implementations (the engine's, float64 here). */
const TOLERANCE = 1e-4;

/** One generated position as the reference computes it: the greedy token and the TOP most likely, by text. */
interface ReferencePosition {
  text: string;
  logprob: number;
  top: { text: string; logprob: number }[];
}

/**
 * TOKENS greedy positions after `prompt`, from the engine's full logits (evaluate) put through a
 * log-softmax here: what the HTTP answers' logprobs must report, computed independently of the
 * generation loop's top candidates.
 */
async function reference(model: NativeModel, prompt: readonly number[]): Promise<ReferencePosition[]> {
  const nVocab = model.info().nVocab;
  const sequence = [...prompt];
  const positions: ReferencePosition[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const logits = await model.evaluate(sequence);
    const row = logSoftmax(logits, (sequence.length - 1) * nVocab, nVocab);
    // Most likely first, ties by the lower id (the engine's order).
    const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b);
    const entry = (id: number) => ({ text: model.detokenize([id]), logprob: row[id]! });
    positions.push({ ...entry(order[0]!), top: order.slice(0, TOP).map(entry) });
    sequence.push(order[0]!);
  }
  return positions;
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${what}: ${actual} vs ${expected}`);
}

describe("logprobs on the HTTP API, checked against the engine's full log-softmax on TinyStories 260K", { skip }, () => {
  let registry: ModelRegistry;
  let http: HttpServerHandle;
  let openai: OpenAI;
  let refModel: NativeModel;

  before(async () => {
    registry = new ModelRegistry({ loadEngine });
    await registry.load(stories!);
    http = await startHttpServer({ registry, listen: "127.0.0.1:0" });
    openai = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: "not-checked", maxRetries: 0 });
    refModel = await loadEngine().loadModel(stories!, {});
  });

  after(async () => {
    await refModel?.dispose();
    await http?.close();
    await registry?.close(new NtError("NT_E_CANCELLED", "the test is over"));
  });

  // A tiny frequency penalty makes the engine sample from all logits instead of its top
  // candidates (penalties need the whole row) without changing which token is most likely.
  for (const [path, extra] of [["top candidates", {}], ["full logits", { frequency_penalty: 1e-6 }]] as const) {
    it(`reports /v1/completions logprobs, whole and streamed (${path})`, async () => {
      const prompt = "Once upon a time";
      const expected = await reference(refModel, Array.from(refModel.tokenize(prompt, true, false)));
      const request = { model: "stories260K", prompt, temperature: 0, max_tokens: TOKENS, logprobs: TOP, ...extra };
      const completion = await openai.completions.create(request);
      const { text, logprobs } = completion.choices[0]!;
      assert.ok(logprobs);
      assert.deepEqual(logprobs.tokens, expected.map((p) => p.text));
      expected.forEach((p, i) => {
        assertClose(logprobs.token_logprobs![i]!, p.logprob, `token ${i}`);
        const top = logprobs.top_logprobs![i]!;
        assert.deepEqual(Object.keys(top), p.top.map((t) => t.text), `alternatives of token ${i}`);
        p.top.forEach((t) => assertClose(top[t.text]!, t.logprob, `alternative ${JSON.stringify(t.text)} of token ${i}`));
        // Each token's text begins at its offset in the choice's text.
        assert.equal(text.slice(logprobs.text_offset![i], logprobs.text_offset![i + 1] ?? text.length), p.text);
      });
      const streamed: (typeof logprobs)[] = [];
      for await (const chunk of await openai.completions.create({ ...request, stream: true })) {
        if (chunk.choices[0]?.logprobs) streamed.push(chunk.choices[0].logprobs);
      }
      assert.deepEqual({
        tokens: streamed.flatMap((l) => l.tokens), token_logprobs: streamed.flatMap((l) => l.token_logprobs),
        top_logprobs: streamed.flatMap((l) => l.top_logprobs), text_offset: streamed.flatMap((l) => l.text_offset),
      }, logprobs);
    });
  }

  it("reports /v1/chat/completions logprobs with bytes and top_logprobs, whole and streamed", async () => {
    const messages = [{ role: "user" as const, content: "Tell me a story" }];
    const model = await registry.get("stories260K");
    const expected = await reference(refModel, chatPromptTokens(model, messages));
    const request = { model: "stories260K", messages, temperature: 0, max_tokens: TOKENS, logprobs: true, top_logprobs: TOP };
    const completion = await openai.chat.completions.create(request);
    const content = completion.choices[0]!.logprobs?.content;
    assert.ok(content);
    assert.equal(content.length, TOKENS);
    expected.forEach((p, i) => {
      const token = content[i]!;
      assert.equal(token.token, p.text);
      assert.deepEqual(token.bytes, [...Buffer.from(p.text)]);
      assertClose(token.logprob, p.logprob, `token ${i}`);
      assert.deepEqual(token.top_logprobs.map((t) => t.token), p.top.map((t) => t.text));
      p.top.forEach((t, j) => assertClose(token.top_logprobs[j]!.logprob, t.logprob, `alternative ${j} of token ${i}`));
    });
    const streamed = [];
    for await (const chunk of await openai.chat.completions.create({ ...request, stream: true })) {
      streamed.push(...chunk.choices[0]?.logprobs?.content ?? []);
    }
    assert.deepEqual(streamed, content);
    // logprobs without top_logprobs: each token's own, no alternatives.
    const bare = await openai.chat.completions.create({ ...request, top_logprobs: undefined });
    assert.deepEqual(bare.choices[0]!.logprobs?.content?.map((t) => [t.token, t.top_logprobs.length]), expected.map((p) => [p.text, 0]));
  });

  it("leaves logprobs null when not asked for", async () => {
    const completion = await openai.completions.create({ model: "stories260K", prompt: "Once", max_tokens: 2 });
    assert.equal(completion.choices[0]!.logprobs, null);
    const chat = await openai.chat.completions.create({ model: "stories260K", messages: [{ role: "user", content: "Hi" }], max_tokens: 2, logprobs: false });
    assert.equal(chat.choices[0]!.logprobs, null);
  });
});
