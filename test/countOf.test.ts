import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { formatTimings } from "../ctl/generate/generationOutput.js";
import { formatStages } from "../ctl/status/formatStatus.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { HelperRequestQueue } from "../nvme-helper/HelperRequestQueue.js";
import { countOf } from "../protocol/countOf.js";
import { NtError } from "../protocol/NtError.js";
import { capturingLogger } from "./support/capturingLogger.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

/** The NtError a call throws or a promise rejects with. */
async function errorOf(call: () => unknown): Promise<NtError> {
  try {
    await call();
  } catch (err) {
    return NtError.from(err);
  }
  assert.fail("expected an error");
}

describe("counts in messages read right: 1 request, 2 requests", () => {
  it("puts the noun in the plural unless the count is 1", () => {
    assert.equal(countOf(1, "request"), "1 request");
    assert.equal(countOf(0, "request"), "0 requests");
    assert.equal(countOf(2, "model"), "2 models");
    assert.equal(countOf(1, "pass", "passes"), "1 pass");
    assert.equal(countOf(3, "pass", "passes"), "3 passes");
  });

  it("ntd logs \"cancelled 1 request\" and says it holds \"1 model\" at a maximum of one", async () => {
    const dir = await makeSocketDir();
    const log = capturingLogger();
    const registry = new ModelRegistry({ loadEngine: () => fakeEngine({ tokenDelayMs: 20 }), logger: log.logger, maxLoadedModels: 1 });
    try {
      const file = (name: string) => path.join(dir.dir, `${name}.gguf`);
      await writeFile(file("slow"), JSON.stringify({ text: "z".repeat(200) }));
      await writeFile(file("other"), "{}");
      const model = await registry.load(file("slow"));
      const generation = model.generate({ prompt: [1, 70] }, () => {}, new AbortController().signal).catch(() => {});
      const busy = await errorOf(() => registry.load(file("other")));
      assert.match(busy.message, /ntd holds 1 model \(its maximum\)/);
      assert.equal(registry.cancelAll("slow").cancelled, 1);
      await generation;
      assert.ok(log.lines.some((line) => /cancelled 1 request of slow/.test(line)), log.lines.join(""));
    } finally {
      await registry.close(new NtError("NT_E_CANCELLED", "the test is over"));
      await dir.remove();
    }
  });

  it("ntctl says \"1 token\" and \"1 pass\"", () => {
    const timings = { prompt_n: 1, prompt_ms: 1, prompt_per_second: 1000, predicted_n: 2, predicted_ms: 2, predicted_per_second: 1000 };
    assert.match(formatTimings(timings), /^prompt 1 token, .*generated 2 tokens, /);
    const stages = { passes: 1, bytesRead: 0, bytesCopied: 0, readMs: 1, h2dMs: 1, computeMs: 1, stallMs: 0 };
    assert.match(formatStages(stages), /^1 pass, /);
    assert.match(formatStages({ ...stages, passes: 2 }), /^2 passes, /);
  });

  it("nt-nvme-helper says a user \"already has 1 request\" at a limit of one", async () => {
    const queue = new HelperRequestQueue({ maxQueuedPerUid: 1, maxQueued: 10 });
    let finish = () => {};
    queue.add(1000, () => new Promise<void>((resolve) => { finish = resolve; }));
    const refusal = await errorOf(() => queue.add(1000, async () => {}));
    assert.match(refusal.message, /uid 1000 already has 1 request waiting or running/);
    finish();
  });
});
