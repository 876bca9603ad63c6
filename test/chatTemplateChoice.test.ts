import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { chatPromptTokens } from "../daemon/chat/chatPromptTokens.js";
import { resolveDaemonConfig } from "../daemon/config/resolveDaemonConfig.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { NtError } from "../protocol/NtError.js";
import { capturingLogger } from "./support/capturingLogger.js";
import { fakeEngine, type FakeEngine, type FakeModelFile, type FakeNativeModel } from "./support/fakeEngine.js";
import { runNtctl } from "./support/runNtctl.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
const HI = [{ role: "user" as const, content: "Hi" }];
const CHATML_PROMPT = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
const LLAMA3_PROMPT = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
const FALLBACK_LINE = /plain has no chat template: chat uses ChatML/;

describe("the chat format: ChatML for a model without a template, --chat-template to choose one", () => {
  let daemon: TestDaemon;
  let engine: FakeEngine;
  let log: ReturnType<typeof capturingLogger>;
  const file = (name: string) => path.join(daemon.dir.dir, `${name}.gguf`);
  const write = (name: string, content: FakeModelFile) => writeFile(file(name), JSON.stringify(content));
  /** The prompt text the engine was last asked to continue, for a model file. */
  const lastPrompt = (name: string): string => {
    const model = engine.models.filter((m: FakeNativeModel) => m.path === file(name)).at(-1)!;
    return model.detokenize(model.requests.at(-1)!.prompt.slice(1));
  };
  const fallbackLines = () => log.lines.filter((line) => FALLBACK_LINE.test(line)).length;

  before(async () => {
    engine = fakeEngine({ tokenDelayMs: 1 });
    log = capturingLogger();
    daemon = await startTestDaemon({ loadEngine: () => engine, logger: log.logger });
    await write("plain", { text: "OK" });
    await write("templated", { chatTemplate: CHATML, text: "OK" });
  });

  after(() => daemon.stop());

  it("chats with a model without a template in ChatML, and says so once per load", async () => {
    const loaded = await daemon.client.request("load", { model: file("plain") });
    assert.equal(loaded.info.chatFormat, "chatml");
    for (let i = 0; i < 2; i++) await daemon.client.request("chat", { model: "plain", messages: HI });
    assert.equal(lastPrompt("plain"), CHATML_PROMPT);
    assert.equal(fallbackLines(), 1, "one line for one load, however many chats");
    await daemon.client.request("unload", { model: "plain" });
    await daemon.client.request("load", { model: file("plain") });
    await daemon.client.request("chat", { model: "plain", messages: HI });
    assert.equal(fallbackLines(), 2, "a new load says it again");
  });

  it("uses the chat format the load names instead of the detected one", async () => {
    const loaded = await daemon.client.request("load", { model: file("templated"), chatTemplate: "llama3" });
    assert.equal(loaded.info.chatFormat, "llama3");
    await daemon.client.request("chat", { model: "templated", messages: HI });
    assert.equal(lastPrompt("templated"), LLAMA3_PROMPT);
  });

  it("refuses an unknown chat template in the load, listing the known ones", async () => {
    await write("other", {});
    const refusal = await daemon.client.request("load", { model: file("other"), chatTemplate: "alpaca" as "chatml" })
      .then(() => undefined, (err: unknown) => NtError.from(err));
    assert.equal(refusal?.code, "NT_E_BAD_REQUEST");
    assert.match(refusal.message, /chatTemplate: unknown chat template; known: chatml, llama2, .*llama3/);
  });

  it("takes the chat template from ntctl's --chat-template flag, and refuses unknown names listing the known", async () => {
    await write("flagged", { chatTemplate: CHATML });
    const load = await runNtctl(["--socket", daemon.dir.socketPath, "load", file("flagged"), "--chat-template", "llama3"]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /chat llama3/);
    const bad = await runNtctl(["--socket", daemon.dir.socketPath, "load", file("flagged"), "--chat-template", "alpaca"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /chat-template.*alpaca.*chatml/s);
  });

  it("takes the daemon's default chat template from its configuration, and refuses unknown names there", async () => {
    const config = await resolveDaemonConfig({ env: { NT_CHAT_TEMPLATE: "mistral-v7" } });
    assert.equal(config.chatTemplate, "mistral-v7");
    // ntd hands it to its registry as the default of the load option (daemon/main.ts).
    const registry = new ModelRegistry({ loadEngine: () => engine, defaultLoad: { chatTemplate: config.chatTemplate || undefined } });
    try {
      await write("defaulted", { chatTemplate: CHATML });
      const model = await registry.load(file("defaulted"));
      assert.equal(model.detokenize(chatPromptTokens(model, HI).slice(1)), "[INST] Hi[/INST]");
    } finally {
      await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
    }
    await assert.rejects(resolveDaemonConfig({ env: { NT_CHAT_TEMPLATE: "alpaca" } }),
      (err: unknown) => err instanceof NtError && /NT_CHAT_TEMPLATE.*chatml, llama2/.test(err.message));
  });
});
