import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { engineMissing } from "./support/engineMissing.js";
import { findTestData } from "./support/findTestData.js";
import { testDataMissing } from "./support/testDataMissing.js";

// findTestData throws under CI=true when the file is missing: there, a missing data set fails.
const stories = findTestData("stories260K.gguf");
const skip = stories === undefined ? testDataMissing("stories260K.gguf") : engineMissing();

describe("the HTTP API with the real engine and TinyStories 260K", { skip }, () => {
  let registry: ModelRegistry;
  let http: HttpServerHandle;
  let openai: OpenAI;

  before(async () => {
    registry = new ModelRegistry({ loadEngine });
    await registry.load(stories!);
    http = await startHttpServer({ registry, listen: "127.0.0.1:0" });
    openai = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: "not-checked", maxRetries: 0 });
  });

  after(async () => {
    await http?.close();
    await registry?.close(new NtError("NT_E_CANCELLED", "the test is over"));
  });

  it("continues \"Once upon a time\" greedily as llama.cpp does, whole and streamed alike", async () => {
    const request = { model: "stories260K", prompt: "Once upon a time", temperature: 0, max_tokens: 24 };
    const completion = await openai.completions.create(request);
    const text = completion.choices[0]!.text;
    assert.match(text, /^, there was a little girl named Lily/);
    assert.equal(completion.usage?.completion_tokens, 24);
    assert.equal(completion.choices[0]!.finish_reason, "length");
    let streamed = "";
    for await (const chunk of await openai.completions.create({ ...request, stream: true })) {
      streamed += chunk.choices[0]?.text ?? "";
    }
    assert.equal(streamed, text);
  });
});
