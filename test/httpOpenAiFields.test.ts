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

describe("OpenAI request fields ntd does not implement, and /v1/models' created", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let registry: ModelRegistry;
  let http: HttpServerHandle;
  let loadedAround: { before: number; after: number };

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

  it("gives each model's load time in unix seconds as created in /v1/models", async () => {
    const response = await fetch(`${http.url}/v1/models`);
    const { data } = await response.json() as { data: { id: string; created: number }[] };
    const created = data.find((m) => m.id === "chat")?.created;
    assert.ok(Number.isInteger(created), String(created));
    assert.ok(created! >= loadedAround.before && created! <= loadedAround.after, `${created} not in [${loadedAround.before}, ${loadedAround.after}]`);
  });
});
