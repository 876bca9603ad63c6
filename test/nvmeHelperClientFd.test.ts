import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, read, writeSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, it } from "node:test";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { withClientFdDeadline } from "../nvme-helper/image/checkSourceFd.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { makeHelperFixture, type HelperFixture } from "./support/makeHelperFixture.js";
import { rejectionCode } from "./support/rejectionCode.js";

const readAsync = promisify(read);
const DEADLINE_MS = 300;

let fixture: HelperFixture | undefined;
let server: HelperServer | undefined;
let fifoFd: number | undefined;

afterEach(async () => {
  // Whatever happened, the read stuck on the FIFO gets its byte, so no pool thread stays blocked.
  if (fifoFd !== undefined) {
    writeSync(fifoFd, "x");
    await new Promise((resolve) => setTimeout(resolve, 50));
    closeSync(fifoFd);
    fifoFd = undefined;
  }
  await server?.close();
  server = undefined;
  fixture?.remove();
  fixture = undefined;
});

describe("nt-nvme-helper reads of a client's fd have a deadline", () => {
  // A FIFO whose writer never writes stands in for a FUSE file whose server never answers: in both
  // the read waits in the kernel for as long as the other side likes.
  it("a read that never returns costs NT_E_BAD_FD after the deadline, and the helper serves other requests meanwhile", { timeout: 10_000 }, async () => {
    fixture = makeHelperFixture();
    loadPeerCredentialsAddon();
    const socketPath = path.join(fixture.dir, "helper.sock");
    server = new HelperServer({ config: fixture.config, monitor: fixture.monitor(), credentialsOf: peerCredentials, log: () => {} });
    await server.listen({ path: socketPath });
    const fifo = path.join(fixture.dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    // Read and write ends in one fd (O_RDWR does not wait for a writer); nothing is written.
    fifoFd = openSync(fifo, "r+");
    const fd = fifoFd;

    const started = Date.now();
    const stuck = withClientFdDeadline(DEADLINE_MS, "the test's FIFO", () => readAsync(fd, Buffer.alloc(24), 0, 24, null));
    const client = await HelperClient.connect(socketPath);
    try {
      assert.equal((await client.request("status", {})).devices.length, 1);
    } finally {
      client.close();
    }
    assert.ok(Date.now() - started < DEADLINE_MS, "status was answered while the read was stuck");
    assert.equal(await rejectionCode(stuck), "NT_E_BAD_FD");
    assert.ok(Date.now() - started >= DEADLINE_MS - 5, "not before the deadline");

    // The abandoned read still holds a pool thread: the next client's file waits for it, refused at once.
    const next = Date.now();
    assert.equal(await rejectionCode(withClientFdDeadline(DEADLINE_MS, "another fd", async () => 1)), "NT_E_BUSY");
    assert.ok(Date.now() - next < DEADLINE_MS, "refused at once, not after a deadline of its own");

    // Once the stuck read returns (the FIFO gets a byte), reads are served again.
    writeSync(fd, "x");
    let answer: number | string = "NT_E_BUSY";
    for (let tries = 0; answer === "NT_E_BUSY" && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      answer = await withClientFdDeadline(DEADLINE_MS, "another fd", async () => 42).catch((err: { code: string }) => err.code);
    }
    assert.equal(answer, 42);
  });

  it("an operation that fails before the deadline keeps its own error, and leaves nothing stalled", async () => {
    const failure = withClientFdDeadline(DEADLINE_MS, "a closed fd", () => readAsync(1_000_000, Buffer.alloc(1), 0, 1, 0));
    await assert.rejects(failure, { code: "EBADF" });
    assert.equal(await withClientFdDeadline(DEADLINE_MS, "a good fd", async () => "fine"), "fine");
  });
});
