// The daemon side of the vfio storage backend (issue 15): `load` with storage "vfio" finds the
// device bound to vfio-pci through nt-nvme-helper (status), opens a data-plane session on it
// (open-dataplane over the real helper.sock protocol, the memfd as SCM_RIGHTS) and hands the
// memfd to the real engine, which reads the header, the resident tiers and — with tier C forced —
// every pass through the ring. The helper is FakeDataplaneHelper (the ring served from the GGUF
// file); the real one runs in the QEMU guest (nvmeVfioQemu.test.ts). A helper that dies fails the
// model's reads with NT_E_IO and marks it failed, within the data plane's timeout: never a hang.
import assert from "node:assert/strict";
import { fstatSync, openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { NativeModel } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";
import { NtClient } from "../ctl/NtClient.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import type { DataplaneSource, OpenedDataplane } from "../daemon/storage/DataplaneSource.js";
import { HelperImageSource } from "../daemon/storage/HelperImageSource.js";
import { NtError } from "../protocol/NtError.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { FakeDataplaneHelper } from "./support/FakeDataplaneHelper.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { forcedBudgets } from "./support/forcedBudgets.js";
import { greedyTokens } from "./support/greedyTokens.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl } from "./support/runNtctl.js";

const BDF = "0000:03:00.0";
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 5) % 256);
const LOAD = { backend: "cpu", threads: 2, nCtx: 128 } as const;
/** How long a read waits for the (dead) helper before the model fails. */
const TIMEOUT_MS = 1500;

describe("ntd loads a placed image through the VFIO data plane", { concurrency: 1 }, () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let modelPath = "";
  let reference: NativeModel;
  let budgets: { vramBudget: number; pinnedBudget: number };
  let helper: FakeDataplaneHelper;
  let daemon: DaemonServer;
  let client: NtClient;

  before(async () => {
    dir = await makeSocketDir();
    modelPath = path.join(dir.dir, "tiny.gguf");
    // 12 blocks: more than a ring of staging slots holds, so forced budgets leave blocks to stream.
    await randomLlamaWriter({ shape: "tiny", mix: "q4_k_m", seed: 1, layers: 12 }).writeToFile(modelPath);
    reference = await loadEngine().loadModel(modelPath, LOAD);
    budgets = forcedBudgets(reference.info().placement, "all-c");
    // Slots of 1 MiB: few requests per pass (the fake wakes no futex, so each wait is a 50 ms slice).
    helper = new FakeDataplaneHelper({ dir: dir.dir, gguf: modelPath, name: "tiny", bdf: BDF, slotBytes: 1 << 20 });
    daemon = new DaemonServer({
      socketPath: dir.socketPath,
      models: { dataplanes: new HelperImageSource(() => helper.socketPath), dataplaneTimeoutMs: TIMEOUT_MS },
    });
    await daemon.start();
    client = await NtClient.connect({ socketPath: daemon.socketPath });
  });
  after(async () => {
    client?.close();
    await daemon?.stop();
    helper?.close();
    await reference?.dispose();
    await dir?.remove();
  });

  async function greedy(model: string): Promise<number[]> {
    const result = await client.request("generate", { model, tokens: PROMPT, maxTokens: 16, temperature: 0, ignoreEos: true });
    return result.tokens;
  }

  it("streams tier C through the ring: the file's greedy tokens, storage vfio and read timings in status; unload ends the session", async () => {
    const loaded = await client.request("load", { model: "tiny", storage: "vfio", ...LOAD, ...budgets });
    assert.equal(loaded.path, `vfio:${BDF}/tiny`);
    assert.ok((loaded.info.placement?.bytes.streamed ?? 0) > 0, "nothing in tier C");
    const servedAtLoad = helper.served;
    assert.ok(servedAtLoad > 0, "the header and resident tiers came through the ring");
    assert.deepEqual(await greedy("tiny"), await greedyTokens(reference, PROMPT, 16));
    assert.ok(helper.served > servedAtLoad, "tier C came through the ring");
    assert.equal(helper.refused, 0, "every request the engine made is one the helper accepts");
    const [status] = (await client.request("status", {})).models;
    assert.equal(status?.storage, "vfio");
    assert.ok((status?.stages?.bytesRead ?? 0) > 0 && status?.stages?.perPass !== undefined, "status has the read timings");
    assert.equal(status?.stages?.tierCPath, "reader-buffers", "tier C came zero-copy from the data plane's slots");
    assert.equal(helper.sessionState(), 0);
    await client.request("unload", { model: "tiny" });
    assert.equal(helper.sessionState(), 1, "unloading ends the data-plane session");
  });

  it("waits out a session the helper is still ending (NT_E_BUSY), and refuses an image of another name, ending its session", async () => {
    helper.busyAnswers = 2;
    const sessions = helper.sessions;
    await client.request("load", { model: "tiny", storage: "vfio", ...LOAD });
    assert.equal(helper.sessions, sessions + 1);
    await client.request("unload", { model: "tiny" });
    const other = await client.request("load", { model: "other", storage: "vfio", ...LOAD }).then(() => "loaded", (err: NtError) => err.code);
    assert.equal(other, "NT_E_MODEL_NOT_FOUND");
    assert.equal(helper.sessionState(), 1, "the session of the wrong image was ended, not left running");
  });

  it("fails the model with NT_E_IO, not a hang, when the helper dies while it streams", async () => {
    await client.request("load", { model: "tiny", storage: "vfio", ...LOAD, ...budgets });
    assert.equal((await greedy("tiny")).length, 16);
    helper.kill();
    const started = Date.now();
    const code = await greedy("tiny").then(() => "generated", (err: NtError) => err.code);
    assert.equal(code, "NT_E_IO");
    assert.ok(Date.now() - started < TIMEOUT_MS + 10_000, "the read gave up within the data plane's timeout");
    const status = (await client.request("status", {})).models.find((m) => m.name === "tiny");
    assert.equal(status?.state, "failed");
    assert.equal(status?.error?.code, "NT_E_IO");
  });
});

/** Sessions as files: a 4096-byte "ring" page, then the fake engine's model (fakeEngine reads it there). */
class FakeDataplanes implements DataplaneSource {
  readonly opened: Array<{ fd: number; ino: number }> = [];
  constructor(readonly dir: string, readonly body: Buffer) {}

  async locateBound(name: string): Promise<{ bdf: string }> {
    if (name !== "tiny") throw new NtError("NT_E_MODEL_NOT_FOUND", `no bound device holds ${name}`);
    return { bdf: BDF };
  }

  async openDataplane(bdf: string): Promise<OpenedDataplane> {
    const file = path.join(this.dir, `session-${this.opened.length}`);
    writeFileSync(file, Buffer.concat([Buffer.alloc(4096), this.body]));
    const fd = openSync(file, "r+");
    this.opened.push({ fd, ino: fstatSync(fd).ino });
    return { bdf, name: "tiny", fd, sizeBytes: this.body.length };
  }

  allClosed(): boolean {
    return this.opened.every(({ fd, ino }) => {
      try {
        return fstatSync(fd).ino !== ino;
      } catch {
        return true;
      }
    });
  }
}

describe("ntctl load --storage vfio against ntd with a fake engine", () => {
  it("sends storage vfio; the engine gets the session's {fd, size, timeoutMs} and its drive (keying the measured speed) and ntd closes the fd; ntctl status names the backend", async () => {
    const dir = await makeSocketDir();
    const engine = fakeEngine();
    const sessions = new FakeDataplanes(dir.dir, Buffer.from(JSON.stringify({ text: " through the ring." })));
    const daemon = new DaemonServer({ socketPath: dir.socketPath, loadEngine: () => engine, models: { dataplanes: sessions, dataplaneTimeoutMs: 5000 } });
    await daemon.start();
    try {
      const load = await runNtctl(["--socket", dir.socketPath, "load", "tiny", "--storage", "vfio"]);
      assert.equal(load.code, 0, load.stderr);
      assert.match(load.stdout, new RegExp(`\\(vfio:${BDF}/tiny\\)`));
      const [opened] = sessions.opened;
      assert.ok(opened);
      assert.deepEqual(engine.loadOptions[0]?.vfio, { fd: opened.fd, size: sessions.body.length, timeoutMs: 5000, device: BDF });
      assert.ok(sessions.allClosed(), "ntd closes the session's fd once the load settled");
      const status = await runNtctl(["--socket", dir.socketPath, "status"]);
      assert.match(status.stdout, /tiny loaded: .*storage vfio/);
      const missing = await runNtctl(["--socket", dir.socketPath, "load", "other", "--storage", "vfio", "--json"]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stdout + missing.stderr, /NT_E_MODEL_NOT_FOUND/);
    } finally {
      await daemon.stop();
      await dir.remove();
    }
  });
});
