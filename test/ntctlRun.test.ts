import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { NtClient } from "../ctl/NtClient.js";
import { NtError } from "../protocol/NtError.js";
import type { FakeModelFile } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl, type NtctlRun } from "./support/runNtctl.js";
import { waitForDaemon } from "./support/waitForDaemon.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ntdMain = path.resolve(here, "../daemon/main.js");
const fakeAddon = path.resolve(here, "support/fakeEngineAddon.js");


/** Starts ntd as a child process with the fake engine addon; its log is kept for assertion messages. */
function startNtd(socketPath: string, tokenDelayMs: number): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [ntdMain, "--socket", socketPath, "--log-level", "debug"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NT_ENGINE_ADDON: fakeAddon, NT_FAKE_TOKEN_DELAY_MS: String(tokenDelayMs) },
  });
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => { log += text; });
  return { child, log: () => log };
}

function errorCodeOf(run: NtctlRun): string | undefined {
  return (JSON.parse(run.stdout) as { error?: { code: string } }).error?.code;
}

describe("ntctl run, chat, load, unload and status against ntd with a fake engine", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let ntd: ReturnType<typeof startNtd>;
  let client: NtClient;
  const models: Record<string, string> = {};
  const sock = () => ["--socket", dir.socketPath];

  before(async () => {
    dir = await makeSocketDir();
    const files: Record<string, FakeModelFile> = {
      echo: { nCtx: 512 },
      slow: { text: "z".repeat(400) },
      chatty: { chatTemplate: "<|im_start|>", text: "OK", nCtx: 512 },
      plain: { text: "OK" },
      gemma: { chatTemplate: "<start_of_turn>", text: "OK" },
      exotic: { fail: { code: "NT_E_UNSUPPORTED", message: "architecture mamba is not supported" } },
    };
    for (const [name, content] of Object.entries(files)) {
      models[name] = path.join(dir.dir, `${name}.gguf`);
      await writeFile(models[name]!, JSON.stringify(content));
    }
    ntd = startNtd(dir.socketPath, 20);
    client = await waitForDaemon(dir.socketPath);
  });

  after(async () => {
    client.close();
    if (ntd.child.exitCode === null) ntd.child.kill("SIGKILL");
    await dir.remove();
  });

  it("run loads the model, prints the generated text and a newline, and exits 0", async () => {
    const run = await runNtctl([...sock(), "run", models.echo!, "abc"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, " cba.\n");
  });

  it("run finds a loaded model by its name", async () => {
    const run = await runNtctl([...sock(), "run", "echo", "hey"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, " yeh.\n");
  });

  it("run --json prints one object: prompt_tokens with BOS, tokens, text, reason, timings", async () => {
    const run = await runNtctl([...sock(), "run", models.echo!, "abc", "-n", "3", "--temperature", "0", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const output = JSON.parse(run.stdout) as Record<string, unknown> & { timings: Record<string, number> };
    assert.deepEqual(output.prompt_tokens, [1, 3 + 0x61, 3 + 0x62, 3 + 0x63]);
    assert.deepEqual(output.tokens, [3 + 0x20, 3 + 0x63, 3 + 0x62]);
    assert.equal(output.text, " cb");
    assert.equal(output.reason, "length");
    for (const key of ["prompt_ms", "predicted_ms", "prompt_per_second", "predicted_per_second"]) {
      assert.equal(typeof output.timings[key], "number", key);
    }
  });

  it("run reads the prompt from stdin when none is given, dropping the trailing newline", async () => {
    const run = await runNtctl([...sock(), "run", models.echo!], { input: "xyz\n" });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, " zyx.\n");
  });

  it("run passes repeated --stop options", async () => {
    const run = await runNtctl([...sock(), "run", models.echo!, "--stop", "q", "--stop", "c", "abcdef"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, " fed\n");
  });

  it("run prints text as it is generated, not all at the end", async () => {
    const started = Date.now();
    let firstOutputAt = 0;
    const run = await runNtctl([...sock(), "run", models.echo!, "abcdefghijklmnopqrst"], {
      onFirstOutput: () => { firstOutputAt = Date.now(); },
    });
    assert.equal(run.code, 0, run.stderr);
    // 22 tokens 20 ms apart: the first text must show up long before the last.
    assert.ok(Date.now() - firstOutputAt > 200, `first output ${firstOutputAt - started} ms after start, end ${Date.now() - started} ms`);
  });

  it("Ctrl-C during run cancels the request in the daemon and exits 130", async () => {
    const run = await runNtctl([...sock(), "run", models.slow!, "go"], { onFirstOutput: (child) => child.kill("SIGINT") });
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /NT_E_CANCELLED/);
    assert.ok(run.stdout.length < 100, "stopped early");
    const deadline = Date.now() + 2000;
    for (;;) {
      const slow = (await client.request("status", {})).models.find((m) => m.name === "slow");
      if (slow?.active === 0) break;
      assert.ok(Date.now() < deadline, "the daemon stopped generating");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it("run exits 2 with NT_E_BAD_REQUEST for -n 0", async () => {
    const run = await runNtctl([...sock(), "run", models.echo!, "x", "-n", "0", "--json"]);
    assert.equal(run.code, 2);
    assert.equal(errorCodeOf(run), "NT_E_BAD_REQUEST");
  });

  it("run exits 4 with NT_E_NOT_FOUND for a missing file, NT_E_MODEL_NOT_FOUND for an unknown name", async () => {
    const missing = await runNtctl([...sock(), "run", path.join(dir.dir, "missing.gguf"), "x", "--json"]);
    assert.equal(missing.code, 4);
    assert.equal(errorCodeOf(missing), "NT_E_NOT_FOUND");
    const unknown = await runNtctl([...sock(), "run", "nobody", "x", "--json"]);
    assert.equal(unknown.code, 4);
    assert.equal(errorCodeOf(unknown), "NT_E_MODEL_NOT_FOUND");
  });

  it("run exits 6 with the engine's NT_E_UNSUPPORTED message", async () => {
    const run = await runNtctl([...sock(), "run", models.exotic!, "x"]);
    assert.equal(run.code, 6);
    assert.match(run.stderr, /mamba.*\[NT_E_UNSUPPORTED\]/);
  });

  it("chat reads one message per line from a pipe and keeps the conversation", async () => {
    const run = await runNtctl([...sock(), "chat", models.chatty!, "--system", "Be brief", "--json"], { input: "hi\nhow are you\n" });
    assert.equal(run.code, 0, run.stderr);
    const answers = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as { text: string; prompt_tokens: number[] });
    assert.deepEqual(answers.map((a) => a.text), ["OK", "OK"]);
    // The fake vocabulary is BOS, then one token per byte (id = byte + 3).
    const promptText = (ids: number[]) => Buffer.from(ids.slice(1).map((id) => id - 3)).toString("utf8");
    assert.equal(promptText(answers[1]!.prompt_tokens), "<|im_start|>system\nBe brief<|im_end|>\n"
      + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nOK<|im_end|>\n"
      + "<|im_start|>user\nhow are you<|im_end|>\n<|im_start|>assistant\n");
  });

  it("chat streams the answers as text, one per line, and stops at /exit", async () => {
    const run = await runNtctl([...sock(), "chat", "chatty"], { input: "one\n\n/exit\nnever sent\n" });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "OK\n");
  });

  it("chat exits 6 with NT_E_UNSUPPORTED for a model whose chat template ntd cannot apply", async () => {
    const run = await runNtctl([...sock(), "chat", models.gemma!, "--json"], { input: "hi\n" });
    assert.equal(run.code, 6);
    assert.equal(errorCodeOf(run), "NT_E_UNSUPPORTED");
  });

  it("load, status and stop (alias unload) manage models by path and name; stop unloads as ollama stop", async () => {
    const file = path.join(dir.dir, "managed.gguf");
    await writeFile(file, "{}");
    const load = await runNtctl([...sock(), "load", file, "--name", "mine", "--ctx-size", "64", "--json"]);
    assert.equal(load.code, 0, load.stderr);
    const loaded = JSON.parse(load.stdout) as { name: string; info: { nCtx: number } };
    assert.deepEqual([loaded.name, loaded.info.nCtx], ["mine", 64]);
    const status = await runNtctl([...sock(), "status"]);
    assert.match(status.stdout, /^model {3}mine loaded: llama, cuda, context 64/m);
    const statusJson = JSON.parse((await runNtctl([...sock(), "status", "--json"])).stdout) as { models: { name: string }[] };
    assert.ok(statusJson.models.some((m) => m.name === "mine"));
    const stop = await runNtctl([...sock(), "stop", "mine"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, "unloaded mine\n");
    const again = await runNtctl([...sock(), "unload", file, "--json"]);
    assert.equal(again.code, 4);
    assert.equal(errorCodeOf(again), "NT_E_MODEL_NOT_FOUND");
  });

  it("run --ctx-size reloads a model loaded with another context; load with the same flags or none keeps it", async () => {
    const file = path.join(dir.dir, "resized.gguf");
    await writeFile(file, "{}");
    assert.equal((await runNtctl([...sock(), "load", file, "-c", "64"])).code, 0);
    const run = await runNtctl([...sock(), "run", "resized", "x", "--ctx-size", "128", "-n", "1", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { model: string }).model, "resized");
    const same = await runNtctl([...sock(), "load", "resized", "-c", "128", "--json"]);
    assert.equal((JSON.parse(same.stdout) as { info: { nCtx: number } }).info.nCtx, 128);
    assert.equal((ntd.log().match(/reloading resized/g) ?? []).length, 1, ntd.log());
  });

  it("generate carries load options: a path not held is loaded with them", async () => {
    const file = path.join(dir.dir, "carried.gguf");
    await writeFile(file, "{}");
    const result = await client.request("generate", { model: file, prompt: "x", maxTokens: 1, nCtx: 96 });
    assert.equal(result.model, "carried");
    const status = (await client.request("status", {})).models.find((m) => m.name === "carried");
    assert.equal(status?.nCtx, 96);
  });

  it("ntd on SIGTERM ends generations in flight with NT_E_CANCELLED and exits 0", async () => {
    await client.request("load", { model: models.slow! });
    let started!: () => void;
    const firstToken = new Promise<void>((resolve) => { started = resolve; });
    const generation = client.request("generate", { model: "slow", prompt: "x" }, { onEvent: () => started() })
      .then(() => "resolved", (err: unknown) => err);
    await firstToken;
    ntd.child.kill("SIGTERM");
    const outcome = await generation;
    assert.ok(outcome instanceof NtError, String(outcome));
    assert.equal(outcome.code, "NT_E_CANCELLED");
    assert.match(outcome.message, /stopping/);
    const [code] = await once(ntd.child, "exit") as [number | null];
    assert.equal(code, 0, ntd.log());
  });
});

describe("ntctl without a daemon", () => {
  it("run exits 3 and says how to start ntd", async () => {
    const dir = await makeSocketDir();
    const run = await runNtctl(["--socket", dir.socketPath, "run", "some-model", "hello"]);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /ntd --socket .*\[NT_E_DAEMON_UNREACHABLE\]/);
    await dir.remove();
  });
});
