import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { NtClient } from "../ctl/NtClient.js";
import { capturingLogger } from "./support/capturingLogger.js";
import { fakeEngine, type FakeEngine, type FakeModelFile, type FakeNativeModel } from "./support/fakeEngine.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";
import { rejectionCode } from "./support/rejectionCode.js";

const IO_ERROR = { code: "NT_E_IO", message: "reading blk.3 from the model file failed: Input/output error" };
// Long enough that a generation is still running when a test makes the next pass fail.
const LONG_TEXT = "a fairly long answer that takes many passes to generate.";

/** Polls until `check` holds (the daemon frees a failed model after the failing request has ended). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(5);
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe("a model the engine reports failed (fake engine)", () => {
  let daemon: TestDaemon;
  let dir: TestDaemon["dir"];
  let engine: FakeEngine;
  let client: NtClient;
  const log = capturingLogger();
  const file = async (name: string, content: FakeModelFile = { text: LONG_TEXT }): Promise<string> => {
    const where = path.join(dir.dir, `${name}.gguf`);
    await writeFile(where, JSON.stringify(content));
    return where;
  };
  /** The engine's model most recently loaded from `where`. */
  const nativeOf = (where: string): FakeNativeModel => {
    const model = engine.models.findLast((m) => m.path === where);
    assert.ok(model, `no model loaded from ${where}`);
    return model;
  };
  const statusOf = async (name: string) => (await client.request("status", {})).models.find((m) => m.name === name);
  const generate = (model: string) => client.request("generate", { model, prompt: "hi" });

  before(async () => {
    engine = fakeEngine({ tokenDelayMs: 1 });
    daemon = await startTestDaemon({ loadEngine: () => engine, logger: log.logger });
    ({ dir, client } = daemon);
  });

  after(() => daemon.stop());

  it("fails the pass's requests with the engine's code, marks the model failed and frees it", async () => {
    const doomed = await file("doomed");
    await client.request("load", { model: doomed });
    const native = nativeOf(doomed);
    const first = generate("doomed");
    const second = generate("doomed");
    await until(() => native.stats().active === 2, "both generations run");
    native.failNextPass(IO_ERROR);
    assert.deepEqual([await rejectionCode(first), await rejectionCode(second)], ["NT_E_IO", "NT_E_IO"]);
    await until(() => native.disposed, "the failed model is disposed");
    const status = await statusOf("doomed");
    assert.equal(status?.state, "failed");
    assert.equal(status?.error?.code, "NT_E_IO");
    assert.equal(log.lines.filter((l) => l.includes(`model doomed failed: ${IO_ERROR.message} [NT_E_IO]`)).length, 1);
  });

  it("answers a later request for the failed model as for a failed load: NT_E_MODEL_NOT_FOUND", async () => {
    // Nothing is held to compute with; the message names the failure's code (status carries it as data).
    assert.equal(await rejectionCode(generate("doomed")), "NT_E_MODEL_NOT_FOUND");
    await assert.rejects(generate("doomed"), /NT_E_IO/);
    assert.equal(await rejectionCode(client.request("chat", { model: "doomed", messages: [{ role: "user", content: "Hi" }] })),
      "NT_E_MODEL_NOT_FOUND");
  });

  it("keeps other models working, and reloads the failed one afresh", async () => {
    const bystander = await file("bystander", { text: "fine" });
    await client.request("load", { model: bystander });
    assert.equal((await generate("bystander")).text, "fine");
    const doomed = path.join(dir.dir, "doomed.gguf");
    const loads = engine.loadCalls.length;
    await client.request("load", { model: doomed });
    assert.equal(engine.loadCalls.length, loads + 1, "a new engine load, not the failed model");
    assert.equal((await generate("doomed")).text, LONG_TEXT);
    assert.equal((await statusOf("doomed"))?.state, "loaded");
    assert.equal(nativeOf(doomed).disposed, false);
  });

  it("drops a failed model's entry on unload", async () => {
    const gone = await file("gone");
    await client.request("load", { model: gone });
    nativeOf(gone).failNextPass(IO_ERROR);
    assert.equal(await rejectionCode(generate("gone")), "NT_E_IO");
    await until(async () => (await statusOf("gone"))?.state === "failed", "the model is marked failed");
    await client.request("unload", { model: "gone" });
    assert.equal(await statusOf("gone"), undefined);
    assert.equal(nativeOf(gone).disposed, true);
  });

  it("leaves the model loaded after an error the engine does not report as the model's failure", async () => {
    // A transient error leaves stats() without `failure`, as an addon older than `failure` always does.
    const steady = await file("steady", { text: "steady", nCtx: 16 });
    await client.request("load", { model: steady });
    const native = nativeOf(steady);
    native.failNextPass(IO_ERROR, { transient: true });
    assert.equal(await rejectionCode(generate("steady")), "NT_E_IO");
    // The engine refuses a prompt longer than the context: a bad request, not a failed model.
    assert.equal(await rejectionCode(client.request("generate", { model: "steady", prompt: "x".repeat(40) })),
      "NT_E_BAD_REQUEST");
    await sleep(20);
    assert.equal((await statusOf("steady"))?.state, "loaded");
    assert.equal(native.disposed, false);
    assert.equal((await generate("steady")).text, "steady");
    assert.ok(!log.lines.some((l) => l.includes("model steady failed")));
  });
});
