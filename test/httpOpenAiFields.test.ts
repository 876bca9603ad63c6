import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startHttpServer, type HttpServerHandle } from "../daemon/http/startHttpServer.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";

/** An HTTP answer's status and OpenAI error body. */
interface Answer {
  status: number;
  error?: { message: string; code: string; type: string };
}

describe("OpenAI request fields ntd does not implement, and /v1/models' created", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let registry: ModelRegistry;
  let http: HttpServerHandle;
  let loadedAround: { before: number; after: number };

  const post = async (route: string, body: Record<string, unknown>): Promise<Answer> => {
    const response = await fetch(`${http.url}${route}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const answer = await response.json() as { error?: Answer["error"] };
    return { status: response.status, error: answer.error };
  };
  const chat = (fields: Record<string, unknown>) =>
    post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "Hi" }], max_tokens: 2, ...fields });
  const complete = (fields: Record<string, unknown>) => post("/v1/completions", { model: "chat", prompt: "Hi", max_tokens: 2, ...fields });

  before(async () => {
    dir = await makeSocketDir();
    registry = new ModelRegistry({ loadEngine: () => fakeEngine({ tokenDelayMs: 1 }) });
    const file = path.join(dir.dir, "chat.gguf");
    await writeFile(file, JSON.stringify({ chatTemplate: CHATML, text: "Hello" }));
    const started = Date.now();
    await registry.load(file);
    loadedAround = { before: Math.floor(started / 1000), after: Math.floor(Date.now() / 1000) };
    http = await startHttpServer({ registry, listen: "127.0.0.1:0" });
  });

  after(async () => {
    await http.close();
    await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
    await dir.remove();
  });

  it("refuses fields that would change the answer with a 400 naming each", async () => {
    const refusals: [Promise<Answer>, RegExp][] = [
      [chat({ tools: [{ type: "function", function: { name: "f" } }] }), /\btools \(no tool calling\)/],
      [chat({ tool_choice: "required" }), /\btool_choice\b/],
      [chat({ response_format: { type: "json_object" } }), /\bresponse_format \(plain text only\)/],
      [chat({ functions: [{ name: "f" }], function_call: "auto" }), /\bfunctions \(.*\), function_call \(/],
      [chat({ n: 2 }), /\bn \(one choice per request only\)/],
      [chat({ logit_bias: { 50256: -100 } }), /\blogit_bias\b/],
      [complete({ echo: true, suffix: "end", best_of: 3 }), /\becho \(.*suffix \(.*best_of \(/],
      [chat({ mirostat: 2 }), /\bmirostat \(unknown field\)/],
    ];
    for (const [answer, message] of refusals) {
      const { status, error } = await answer;
      assert.equal(status, 400, error?.message);
      assert.equal(error?.code, "NT_E_BAD_REQUEST");
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, /^ntd does not implement /);
      assert.match(error.message, message);
    }
  });

  it("accepts the values of those fields that ask for nothing, null for any, and fields harmless to ignore", async () => {
    const accepted = [
      chat({ tools: [], tool_choice: "none", functions: null, response_format: { type: "text" }, n: 1, logit_bias: {} }),
      chat({ user: "u-1", store: false, metadata: { k: "v" }, service_tier: "auto", parallel_tool_calls: true, mirostat: null }),
      complete({ echo: false, best_of: 1, suffix: null, n: 1, user: "u-1" }),
    ];
    for (const answer of accepted) {
      const { status, error } = await answer;
      assert.equal(status, 200, error?.message);
    }
  });

  it("refuses top_logprobs without logprobs, and more alternatives than 20", async () => {
    const answers = [
      [await chat({ top_logprobs: 3 }), /top_logprobs needs logprobs: true/],
      [await chat({ logprobs: true, top_logprobs: 21 }), /top_logprobs/],
      [await complete({ logprobs: 21 }), /logprobs/],
    ] as const;
    for (const [{ status, error }, message] of answers) {
      assert.equal(status, 400);
      assert.match(error?.message ?? "", message);
    }
  });

  it("gives each model's load time in unix seconds as created in /v1/models", async () => {
    const response = await fetch(`${http.url}/v1/models`);
    const { data } = await response.json() as { data: { id: string; created: number }[] };
    const created = data.find((m) => m.id === "chat")?.created;
    assert.ok(Number.isInteger(created), String(created));
    assert.ok(created! >= loadedAround.before && created! <= loadedAround.after, `${created} not in [${loadedAround.before}, ${loadedAround.after}]`);
  });
});
