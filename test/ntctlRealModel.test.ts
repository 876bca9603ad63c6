import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { NtClient } from "../ctl/NtClient.js";
import { engineMissing } from "./support/engineMissing.js";
import { findTestData } from "./support/findTestData.js";
import { testDataMissing } from "./support/testDataMissing.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl } from "./support/runNtctl.js";
import { waitForDaemon } from "./support/waitForDaemon.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ntdMain = path.resolve(here, "../daemon/main.js");
const generateModel = path.resolve(here, "../scripts/generateModel.js");

const stories = findTestData("stories260K.gguf");
const missing = engineMissing();

describe("ntctl against ntd with the real engine", { skip: missing }, () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let ntd: ChildProcess;
  let client: NtClient;
  let log = "";
  const sock = () => ["--socket", dir.socketPath];

  before(async () => {
    dir = await makeSocketDir();
    const env = { ...process.env };
    delete env.NT_ENGINE_ADDON;
    ntd = spawn(process.execPath, [ntdMain, "--socket", dir.socketPath], { stdio: ["ignore", "ignore", "pipe"], env });
    ntd.stderr?.setEncoding("utf8").on("data", (text: string) => { log += text; });
    client = await waitForDaemon(dir.socketPath);
  });

  after(async () => {
    client.close();
    ntd.kill("SIGTERM");
    const [code] = ntd.exitCode === null ? await once(ntd, "exit") as [number | null] : [ntd.exitCode];
    assert.equal(code, 0, log);
    await dir.remove();
  });

  it("continues \"Once upon a time\" with stories260K greedily into a coherent story, BOS first", { skip: stories === undefined && testDataMissing("stories260K.gguf") }, async () => {
    const run = await runNtctl([...sock(), "run", stories!, "Once upon a time", "-n", "32", "--temperature", "0", "--json"]);
    assert.equal(run.code, 0, run.stderr + log);
    const output = JSON.parse(run.stdout) as { prompt_tokens: number[]; tokens: number[]; text: string; reason: string };
    assert.equal(output.prompt_tokens[0], 1, "BOS");
    assert.equal(output.tokens.length, 32);
    assert.equal(output.reason, "length");
    // The model's greedy continuation (the same as llama.cpp's for this file).
    assert.match(output.text, /^, there was a little girl named Lily\. She loved to play/);
  });

  it("streams the same text without --json, and the name works once loaded", { skip: stories === undefined && testDataMissing("stories260K.gguf") }, async () => {
    const run = await runNtctl([...sock(), "run", "stories260K", "Once upon a time", "-n", "12", "--temperature", "0"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^, there was a little girl named Lily\.[^\n]*\n$/);
  });

  it("generates from a random-weight tiny model, and Ctrl-C cancels a long generation in the engine", async () => {
    const file = path.join(dir.dir, "tiny-random.gguf");
    await promisify(execFile)(process.execPath, [generateModel, "--out", file, "--shape", "tiny"]);
    const short = await runNtctl([...sock(), "run", file, "Hello", "-n", "8", "--json"]);
    assert.equal(short.code, 0, short.stderr);
    assert.equal((JSON.parse(short.stdout) as { tokens: number[] }).tokens.length, 8);
    const long = await runNtctl([...sock(), "run", "tiny-random", "Hello", "--ignore-eos"], { onFirstOutput: (child) => child.kill("SIGINT") });
    assert.equal(long.code, 130, long.stderr);
    const deadline = Date.now() + 3000;
    for (;;) {
      const tiny = (await client.request("status", {})).models.find((m) => m.name === "tiny-random");
      if (tiny?.active === 0 && tiny.queued === 0) break;
      assert.ok(Date.now() < deadline, "the engine stopped generating");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it("refuses a prompt longer than the context with the engine's NT_E_BAD_REQUEST", { skip: stories === undefined && testDataMissing("stories260K.gguf") }, async () => {
    const run = await runNtctl([...sock(), "run", stories!, "Once upon a time, ".repeat(500), "--json"]);
    assert.equal(run.code, 2, run.stderr);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, "NT_E_BAD_REQUEST");
    assert.match(error.message, /context/);
  });
});
