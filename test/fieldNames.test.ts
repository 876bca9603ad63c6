import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wordAsFlags } from "../ctl/wordAsFlags.js";
import { samplingOf } from "../daemon/http/samplingOf.js";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { samplingParamsSchema } from "../protocol/verbs/samplingParams.js";
import { runNtctl } from "./support/runNtctl.js";
import { makeSocketDir } from "./support/makeSocketDir.js";

// Validation errors name the flag or JSON field the user wrote (-n, max_tokens), not the
// protocol's internal path (params.maxTokens) (issue 16).

/** The message of the NtError `run` throws (failing the test if it throws something else or nothing). */
function errorMessage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof NtError, String(err));
    assert.equal(err.code, "NT_E_BAD_REQUEST");
    return err.message;
  }
  assert.fail("no error");
}

describe("validation errors", () => {
  it("name a field as the namer says, and by its path where it says nothing", () => {
    const message = errorMessage(() => parseMessage(samplingParamsSchema, { maxTokens: 0, topK: -1 }, "params", "NT_E_BAD_REQUEST",
      (path) => (path[0] === "maxTokens" ? "-n" : undefined)));
    assert.match(message, /^-n: /);
    assert.match(message, /; params\.topK: /);
  });

  it("of the HTTP API name the OpenAI field the client sent", () => {
    const maxTokens = errorMessage(() => samplingOf({ model: "m", max_tokens: 0 }));
    assert.match(maxTokens, /^max_tokens: /);
    assert.doesNotMatch(maxTokens, /maxTokens/);
    assert.match(errorMessage(() => samplingOf({ model: "m", max_completion_tokens: 0 })), /^max_completion_tokens: /);
    assert.match(errorMessage(() => samplingOf({ model: "m", top_p: 2, repeat_penalty: 0 })), /^top_p: .*; repeat_penalty: /);
  });

  for (const [args, flag] of [
    [["run", "m", "x", "-n", "0"], "-n/--max-tokens"],
    [["run", "m", "x", "--ctx-size", "0"], "-c/--ctx-size"],
    [["run", "m", "x", "--top-p", "2"], "--top-p"],
    [["chat", "m", "--max-tokens", "0"], "-n/--max-tokens"],
  ] as const) {
    it(`of ntctl ${args.join(" ")} name ${flag}, before reaching for the daemon`, async () => {
      const dir = await makeSocketDir();
      try {
        const run = await runNtctl(["--socket", dir.socketPath, ...args, "--json"]);
        assert.equal(run.code, 2, run.stdout + run.stderr);
        const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
        assert.equal(error.code, "NT_E_BAD_REQUEST");
        assert.ok(error.message.startsWith(`${flag}: `), error.message);
        assert.doesNotMatch(error.message, /params\./);
      } finally {
        await dir.remove();
      }
    });
  }

  it("of the engine's budget refusals name the flag ntctl was given, else keep ntd's configuration key", () => {
    const refusal = new NtError("NT_E_OUT_OF_MEMORY",
      "vramBudget 12.0 MiB is too small: the KV cache (10.0 MiB for 4 sequences × 2048 positions, f32) … need 15.9 MiB before any weights");
    assert.match(wordAsFlags(refusal, ["run", "m", "x", "--vram-budget", "12MiB"]).message, /^--vram-budget 12\.0 MiB is too small: /);
    assert.match(wordAsFlags(refusal, ["load", "m", "--vram-budget=12MiB"]).message, /^--vram-budget 12\.0 MiB/);
    assert.equal(wordAsFlags(refusal, ["load", "m"]), refusal, "the budget came from ntd's vramBudget key");
    const pinned = new NtError("NT_E_OUT_OF_MEMORY", "pinnedBudget 1.00 GiB leaves 0.50 GiB after the host-resident tensors");
    assert.match(wordAsFlags(pinned, ["bench", "f.gguf", "--pinned-budget", "1GiB"]).message, /^--pinned-budget 1\.00 GiB leaves/);
    const other = new NtError("NT_E_BAD_REQUEST", "vramBudget: Too big");
    assert.equal(wordAsFlags(other, ["--vram-budget", "1"]), other, "only the engine's refusals are reworded");
  });
});
