// The raw storage backend end to end (issue 6): a generated model placed on a loop device through
// a real nt-nvme-helper, loaded by an in-process daemon with storage "raw" (status, then
// open-image's O_DIRECT fd), generates the same greedy tokens as the same model loaded from its file.
import assert from "node:assert/strict";
import { openSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { NtClient } from "../ctl/NtClient.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { HelperImageSource } from "../daemon/storage/HelperImageSource.js";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { randomLlamaWriter } from "../scripts/gguf/randomLlamaWriter.js";
import { TEST_BDF } from "./support/makeHelperFixture.js";
import { loopDevicesUnavailable, makeLoopHelperFixture, type LoopHelperFixture } from "./support/loopDeviceFixture.js";

const unavailable = loopDevicesUnavailable();
// CI runs as root with losetup: there a missing loop device is a failure, not a skip.
const skip = unavailable !== undefined && process.env.CI !== "true" ? `${unavailable}; this test places a model on a loop device` : false;
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 5) % 256);
const LOAD = { backend: "cpu", threads: 2, nCtx: 128 } as const;

describe("ntd loads a raw image through nt-nvme-helper on a loop device", { skip }, () => {
  if (unavailable !== undefined && !skip) {
    it("has root and losetup (CI=true: required)", () => assert.fail(unavailable));
    return;
  }
  let fixture: LoopHelperFixture;
  let helper: HelperServer;
  let daemon: DaemonServer;
  let modelPath = "";

  before(async () => {
    fixture = makeLoopHelperFixture({ areaBytes: 8 << 20 });
    loadPeerCredentialsAddon();
    const helperSocket = path.join(fixture.dir, "helper.sock");
    helper = new HelperServer({ config: fixture.config, monitor: fixture.monitor(), credentialsOf: peerCredentials, log: () => {} });
    await helper.listen({ path: helperSocket });
    modelPath = path.join(fixture.dir, "tiny.gguf");
    // 12 blocks, so the streaming test below leaves blocks in tier C.
    await randomLlamaWriter({ shape: "tiny", mix: "q4_k_m", seed: 1, layers: 12 }).writeToFile(modelPath);
    const client = await HelperClient.connect(helperSocket);
    try {
      await client.place({ device: TEST_BDF, name: "tiny-raw" }, openSync(modelPath, "r"));
    } finally {
      client.close();
    }
    daemon = new DaemonServer({ socketPath: path.join(fixture.dir, "ntd.sock"), models: { rawImages: new HelperImageSource(() => helperSocket) } });
    await daemon.start();
  });
  after(async () => {
    await daemon?.stop();
    await helper?.close();
    fixture?.removeAll();
  });

  async function greedy(client: NtClient, model: string): Promise<number[]> {
    const result = await client.request("generate", { model, tokens: PROMPT, maxTokens: 16, temperature: 0, ignoreEos: true });
    return result.tokens;
  }

  it("generates the file-loaded model's greedy tokens, and refuses an image no device holds", async () => {
    const client = await NtClient.connect({ socketPath: daemon.socketPath });
    try {
      const raw = await client.request("load", { model: "tiny-raw", storage: "raw", ...LOAD });
      assert.equal(raw.path, `raw:${TEST_BDF}/tiny-raw`);
      const file = await client.request("load", { model: modelPath, name: "tiny-file", ...LOAD });
      // The same weights, placed alike (measured link speeds and times differ run to run).
      assert.deepEqual({ ...raw.info, placement: raw.info.placement?.bytes }, { ...file.info, placement: file.info.placement?.bytes });
      const tokens = await greedy(client, "tiny-raw");
      assert.equal(tokens.length, 16);
      assert.deepEqual(tokens, await greedy(client, "tiny-file"));
      const status = await client.request("status", {});
      assert.deepEqual(status.models.map((m) => [m.name, m.path, m.state]).sort(),
        [["tiny-file", modelPath, "loaded"], ["tiny-raw", `raw:${TEST_BDF}/tiny-raw`, "loaded"]]);
      const missing = await client.request("load", { model: "absent", storage: "raw" }).then(() => "resolved", (err: { code: string }) => err.code);
      assert.equal(missing, "NT_E_MODEL_NOT_FOUND");
    } finally {
      client.close();
    }
  });

  it("streams tier C from the image (forced small VRAM budget) with the same tokens", async () => {
    const client = await NtClient.connect({ socketPath: daemon.socketPath });
    try {
      const resident = (await client.request("unload", { model: "tiny-raw" }), (await client.request("load", { model: "tiny-file" })).info.placement);
      assert.ok(resident, "the engine reports a placement");
      // As forcedBudgets: VRAM for the KV cache, activations and a ring of 3 slots (1 MiB slack each),
      // pinned RAM for host-only tensors and the ring, so the blocks stream from the image.
      const largest = Math.max(...resident.rows.map((r) => r.bytes.vram + r.bytes.pinned + r.bytes.streamed));
      const ring = 3 * (largest + (1 << 20));
      const raw = await client.request("load", {
        model: "tiny-raw", storage: "raw", ...LOAD, stagingSlots: 3,
        vramBudget: resident.kvBytes + resident.activationBytes + ring, pinnedBudget: resident.hostOnlyBytes + ring,
      });
      assert.ok((raw.info.placement?.bytes.streamed ?? 0) > 0, `expected streamed bytes, got ${JSON.stringify(raw.info.placement?.bytes)}`);
      assert.deepEqual(await greedy(client, "tiny-raw"), await greedy(client, "tiny-file"));
    } finally {
      client.close();
    }
  });
});
