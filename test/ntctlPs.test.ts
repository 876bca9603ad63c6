import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { NtClient } from "../ctl/NtClient.js";
import type { ModelStatus } from "../protocol/verbs/modelStatus.js";
import type { FakeModelFile } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl } from "./support/runNtctl.js";
import { waitForDaemon } from "./support/waitForDaemon.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ntdMain = path.resolve(here, "../daemon/main.js");
const fakeAddon = path.resolve(here, "support/fakeEngineAddon.js");


/** The lines of `ntctl ps` as cells (columns are separated by two or more spaces). */
function psRows(stdout: string): string[][] {
  return stdout.trimEnd().split("\n").map((line) => line.trim().split(/ {2,}/));
}

/** The row of one model in `ntctl ps` output, as column name → cell. */
function psRow(stdout: string, model: string): Record<string, string> | undefined {
  const [header = [], ...rows] = psRows(stdout);
  const row = rows.find((r) => r[0] === model);
  return row && Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""]));
}

describe("ntctl ps, stop and --keep-alive against ntd with a fake engine", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let ntd: ChildProcess;
  let client: NtClient;
  const models: Record<string, string> = {};
  const sock = () => ["--socket", dir.socketPath];
  const statusOf = async (name: string): Promise<ModelStatus | undefined> =>
    (await client.request("status", {})).models.find((m) => m.name === name);

  before(async () => {
    dir = await makeSocketDir();
    const files: Record<string, FakeModelFile> = {
      steady: { text: "OK" },
      // Held open after its text, so test 8 cancels it in flight however long its ntctl processes take to start.
      slow: { text: "zz", hold: true },
      oneshot: { text: "OK" },
      lazy: { text: "OK" },
      exotic: { fail: { code: "NT_E_UNSUPPORTED", message: "architecture mamba is not supported" } },
      tiered: { text: "OK" },
    };
    for (const [name, content] of Object.entries(files)) {
      models[name] = path.join(dir.dir, `${name}.gguf`);
      await writeFile(models[name]!, JSON.stringify(content));
    }
    ntd = spawn(process.execPath, [ntdMain, "--socket", dir.socketPath], {
      stdio: "ignore", env: { ...process.env, NT_ENGINE_ADDON: fakeAddon, NT_FAKE_TOKEN_DELAY_MS: "20" },
    });
    client = await waitForDaemon(dir.socketPath);
  });

  after(async () => {
    client.close();
    if (ntd.exitCode === null) ntd.kill("SIGKILL");
    await dir.remove();
  });

  it("ps lists a model loaded with --keep-alive 10m: size, context, idle, and when it is unloaded", async () => {
    const load = await runNtctl([...sock(), "load", models.steady!, "--keep-alive", "10m"]);
    assert.equal(load.code, 0, load.stderr);
    const run = await runNtctl([...sock(), "run", "steady", "hi"]);
    assert.equal(run.code, 0, run.stderr);
    const ps = await runNtctl([...sock(), "ps"]);
    assert.equal(ps.code, 0, ps.stderr);
    const [header] = psRows(ps.stdout);
    assert.deepEqual(header,
      ["MODEL", "STATE", "BACKEND", "VRAM", "PINNED", "STREAMED", "CONTEXT", "ACTIVE", "QUEUED", "TG t/s", "UNTIL"]);
    const row = psRow(ps.stdout, "steady");
    assert.ok(row, ps.stdout);
    // Loaded with no --backend ("auto"): the fake engine says cuda, and places as fakePlacement().
    assert.deepEqual([row.STATE, row.BACKEND, row.VRAM, row.PINNED, row.STREAMED, row.CONTEXT, row.ACTIVE, row.QUEUED],
      ["loaded", "cuda", "640 MiB", "256 MiB", "256 MiB", "128", "0", "0"]);
    assert.match(row["TG t/s"] ?? "", /^\d+\.\d\d$/, "the last generation's speed");
    assert.match(row.UNTIL ?? "", /^in (9m|10m)/);
  });

  it("ps shows the backend and the weights per tier of a model the engine placed", async () => {
    const load = await runNtctl([...sock(), "load", models.tiered!, "--backend", "cpu", "--vram-budget", "1GiB"]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /^loaded tiered: llama on cpu, /);
    assert.match(load.stdout, /\nLAYER {3}TIER {4}BYTES {5}MS\/PASS\nblk\.0 /, "the engine's placement table");
    assert.match(load.stdout, /blk\.1 {3}split/);
    const row = psRow((await runNtctl([...sock(), "ps"])).stdout, "tiered");
    assert.deepEqual([row?.BACKEND, row?.VRAM, row?.PINNED, row?.STREAMED], ["cpu", "640 MiB", "256 MiB", "256 MiB"]);
  });

  it("status prints the placement table and the stage timers of a placed model", async () => {
    assert.equal((await runNtctl([...sock(), "run", "tiered", "hi"])).code, 0);
    const status = await runNtctl([...sock(), "status"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /model {3}tiered loaded: llama, cpu, context 128/);
    assert.match(status.stdout, /\n {8}output {2}vram {4}128 MiB/, "the table, indented under the model");
    assert.match(status.stdout,
      /stages {2}2 passes; per pass: read 40\.00 ms, h2d 20\.00 ms, compute 10\.00 ms, stall 30\.00 ms; 512 MiB read, 1\.00 GiB copied/);
    const json = JSON.parse((await runNtctl([...sock(), "status", "--json"])).stdout) as { models: ModelStatus[] };
    const tiered = json.models.find((m) => m.name === "tiered");
    assert.equal(tiered?.placement?.rows.length, 3);
    assert.equal(tiered?.stages?.passes, 2);
  });

  it("ps --json prints the models with state, keepAliveSeconds and expiresAt", async () => {
    const ps = await runNtctl([...sock(), "ps", "--json"]);
    assert.equal(ps.code, 0, ps.stderr);
    const { models: listed } = JSON.parse(ps.stdout) as { models: ModelStatus[] };
    const steady = listed.find((m) => m.name === "steady");
    assert.equal(steady?.state, "loaded");
    assert.equal(steady?.keepAliveSeconds, 600);
    assert.ok(typeof steady?.expiresAt === "number" && steady.expiresAt > Date.now() + 500_000);
  });

  it("a failed load shows as failed with its code in ps and status, until unloaded", async () => {
    const load = await runNtctl([...sock(), "load", models.exotic!, "--json"]);
    assert.equal(load.code, 6);
    const ps = await runNtctl([...sock(), "ps"]);
    const row = psRows(ps.stdout).find((r) => r[0] === "exotic");
    assert.deepEqual(row?.slice(0, 2), ["exotic", "failed (NT_E_UNSUPPORTED)"]);
    const status = await runNtctl([...sock(), "status"]);
    assert.match(status.stdout, /exotic failed \(NT_E_UNSUPPORTED\): architecture mamba is not supported/);
    assert.equal((await runNtctl([...sock(), "unload", "exotic"])).code, 0);
    assert.equal(await statusOf("exotic"), undefined);
  });

  it("run --keep-alive 0 unloads the model as soon as the generation ends", async () => {
    const run = await runNtctl([...sock(), "run", models.oneshot!, "hi", "--keep-alive", "0"]);
    assert.equal(run.code, 0, run.stderr);
    const deadline = Date.now() + 3000;
    while ((await statusOf("oneshot")) !== undefined) {
      assert.ok(Date.now() < deadline, "oneshot was not unloaded");
      await sleep(20);
    }
  });

  it("load --keep-alive -1 keeps the model forever", async () => {
    const load = await runNtctl([...sock(), "load", "steady", "--keep-alive=-1"]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(psRow((await runNtctl([...sock(), "ps"])).stdout, "steady")?.UNTIL, "forever");
  });

  // The timeout guards against a hang (a held generation that the cancel failed to end), not a pace.
  it("cancel cancels the model's requests in flight (ACTIVE in ps meanwhile), and the model stays loaded", { timeout: 120_000 }, async () => {
    assert.equal((await runNtctl([...sock(), "load", models.slow!])).code, 0);
    let runEnded = false;
    const running = runNtctl([...sock(), "run", "slow", "x", "--json"]).finally(() => { runEnded = true; });
    // No deadline: ntctl may take seconds to start on a loaded machine; a run that ends instead fails here.
    while (((await statusOf("slow"))?.active ?? 0) === 0) {
      if (runEnded) assert.fail(`the generation did not start: ${JSON.stringify(await running)}`);
      await sleep(20);
    }
    const row = psRow((await runNtctl([...sock(), "ps"])).stdout, "slow");
    assert.deepEqual([row?.ACTIVE, row?.UNTIL], ["1", "after its requests"]);
    const cancel = await runNtctl([...sock(), "cancel", "slow", "--json"]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.deepEqual(JSON.parse(cancel.stdout), { name: "slow", cancelled: 1 });
    const run = await running;
    assert.equal(run.code, 1);
    assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, "NT_E_CANCELLED");
    assert.equal((await statusOf("slow"))?.state, "loaded");
  });

  it("generate loads a model given by a path it does not hold, streaming progress events first", async () => {
    const types: string[] = [];
    const result = await client.request("generate", { model: models.lazy!, prompt: "x", keepAlive: "1h" }, {
      onEvent: (event) => types.push(event.type),
    });
    assert.equal(result.text, "OK");
    assert.ok(types[0] === "progress" && types.includes("token"), types.join(","));
    assert.ok(types.lastIndexOf("progress") < types.indexOf("token"), "progress comes before the tokens");
    assert.equal((await statusOf("lazy"))?.keepAliveSeconds, 3600);
  });
});
