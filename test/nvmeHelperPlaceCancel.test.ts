// Issue 11, finding 3: a `place` whose client hung up ran to the end (one script queued 20 of them).
// Now it stops between chunks with NT_E_CANCELLED, leaving the header INVALID and the journal closed.
import assert from "node:assert/strict";
import { closeSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { UndoJournal } from "../nvme-helper/journal/UndoJournal.js";
import { helperNativeAddon } from "../nvme-helper/native/helperNativeAddon.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { LOOP_AREA, loopDevicesUnavailable, makeLoopHelperFixture, type LoopHelperFixture } from "./support/loopDeviceFixture.js";
import { TEST_BDF } from "./support/makeHelperFixture.js";
import { RawHelperConnection } from "./support/RawHelperConnection.js";

const unavailable = loopDevicesUnavailable();
// CI runs as root with losetup: there a missing loop device is a failure, not a skip.
const skip = unavailable !== undefined && process.env.CI !== "true" ? `${unavailable}; this test uses a loop device as the NVMe namespace` : false;
const MiB = 1 << 20;
/** 48 one-MiB chunks: the helper notices the hang-up long before the last. */
const GGUF_BYTES = 48 * MiB;

describe("nt-nvme-helper place whose client hangs up", { skip }, () => {
  if (unavailable !== undefined && !skip) {
    it("has root and losetup (CI=true: required)", () => assert.fail(unavailable));
    return;
  }
  let fixture: LoopHelperFixture;
  let server: HelperServer;
  let socketPath: string;
  const logLines: string[] = [];

  before(async () => {
    fixture = makeLoopHelperFixture({ areaBytes: 64 * MiB });
    loadPeerCredentialsAddon();
    socketPath = path.join(fixture.dir, "helper.sock");
    server = new HelperServer({ config: fixture.config, monitor: fixture.monitor(), credentialsOf: peerCredentials, log: (line) => logLines.push(line) });
    await server.listen({ path: socketPath });
  });
  after(async () => {
    await server?.close();
    fixture?.removeAll();
  });

  it("stops between chunks with NT_E_CANCELLED: the header says INVALID, the last MiB is never written, the journal entry is closed", async () => {
    const { file } = fixture.makeGguf("big.gguf", GGUF_BYTES);
    const quitter = RawHelperConnection.open(socketPath);
    quitter.send({ kind: "request", id: 1, verb: "place", params: { device: TEST_BDF, name: "big" } }, [openSync(file, "r")]);
    assert.deepEqual((await quitter.next()).message, { kind: "event", id: 1, event: { type: "progress", done: 0, total: GGUF_BYTES } });
    quitter.destroy();
    for (const end = Date.now() + 10_000; !logLines.some((line) => line.includes("verb=place"));) {
      if (Date.now() > end) assert.fail("the place never ended");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(logLines.join("\n"), /verb=place device=\S+ .*outcome=NT_E_CANCELLED/);

    const client = await HelperClient.connect(socketPath);
    try {
      const image = (await client.request("status", {})).devices[0]?.image;
      assert.deepEqual({ state: image?.state, name: image?.name }, { state: "invalid", name: "big" });
    } finally {
      client.close();
    }
    const device = openSync(fixture.loopDevice, "r");
    try {
      const lastChunk = helperNativeAddon().alignedBuffer(MiB);
      readSync(device, lastChunk, 0, MiB, LOOP_AREA.startLba * 512 + 4096 + GGUF_BYTES - MiB);
      assert.ok(lastChunk.every((byte) => byte === 0), "the place stopped before its last chunk");
    } finally {
      closeSync(device);
    }
    const { records } = new UndoJournal(fixture.journalFile).read();
    const begun = records.filter((record) => record.type === "begin").map((record) => record.txn);
    const ended = records.filter((record) => record.type === "end").map((record) => record.txn);
    assert.deepEqual(ended, begun, "every journal entry has its end: nothing for the next start to repair");
  });
});
