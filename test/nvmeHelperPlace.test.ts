import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, readSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, afterEach, before, describe, it } from "node:test";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { helperNativeAddon } from "../nvme-helper/native/helperNativeAddon.js";
import { TEST_BDF } from "./support/makeHelperFixture.js";
import { LOOP_AREA, loopDevicesUnavailable, makeLoopHelperFixture, type LoopHelperFixture } from "./support/loopDeviceFixture.js";

const unavailable = loopDevicesUnavailable();
// CI runs as root with losetup: there a missing loop device is a failure, not a skip.
const skip = unavailable !== undefined && process.env.CI !== "true" ? `${unavailable}; these tests use a loop device as the NVMe namespace` : false;
const GGUF_BYTES = (5 << 19) + 123;
const ntctlMain = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."), "ctl", "main.js");

let fixture: LoopHelperFixture;
let server: HelperServer;
let socketPath: string;
let logLines: string[] = [];

/** Reads `bytes` bytes at `offset` through an O_DIRECT fd (aligned buffer and length). */
function readDirect(fd: number, offset: number, bytes: number): Buffer {
  const padded = Math.ceil(bytes / 4096) * 4096;
  const buffer = helperNativeAddon().alignedBuffer(padded);
  assert.equal(readSync(fd, buffer, 0, padded, offset), padded);
  return Buffer.from(buffer.subarray(0, bytes));
}

/** Writes `bytes` at the start of the image area, straight to the loop device. */
function writeArea(bytes: Buffer): void {
  const fd = openSync(fixture.loopDevice, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, LOOP_AREA.startLba * 512);
  } finally {
    closeSync(fd);
  }
}

/** Places `file` through HelperClient; the fd is opened read-only here, as ntctl does. */
async function place(file: string, name = "tiny", progress: Array<[number, number]> = []) {
  const client = await HelperClient.connect(socketPath);
  try {
    return await client.place({ device: TEST_BDF, name }, openSync(file, "r"), (done, total) => progress.push([done, total]));
  } finally {
    client.close();
  }
}

async function withClient<T>(use: (client: HelperClient) => Promise<T>): Promise<T> {
  const client = await HelperClient.connect(socketPath);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

describe("nt-nvme-helper place and open-image on a loop device", { skip }, () => {
  if (unavailable !== undefined && !skip) {
    it("has root and losetup (CI=true: required)", () => assert.fail(unavailable));
    return;
  }
  before(async () => {
    fixture = makeLoopHelperFixture();
    loadPeerCredentialsAddon();
    socketPath = path.join(fixture.dir, "helper.sock");
    server = new HelperServer({ config: fixture.config, monitor: fixture.monitor(), credentialsOf: peerCredentials, log: (line) => logLines.push(line) });
    await server.listen({ path: socketPath });
  });
  after(async () => {
    await server?.close();
    fixture?.removeAll();
  });
  afterEach(() => {
    logLines = [];
  });

  it("places a GGUF, reports it in status, and open-image's fd reads back the same bytes", async () => {
    const { file, content } = fixture.makeGguf("tiny.gguf", GGUF_BYTES);
    const progress: Array<[number, number]> = [];
    const placed = await place(file, "tiny", progress);
    const sha256 = createHash("sha256").update(content).digest("hex");
    assert.deepEqual({ ...placed.image, placedAtMs: 0 }, { name: "tiny", sizeBytes: GGUF_BYTES, sha256, placedAtMs: 0 });
    assert.deepEqual(progress.at(-1), [GGUF_BYTES, GGUF_BYTES]);
    assert.deepEqual(progress[0], [0, GGUF_BYTES]);
    assert.match(logLines.join("\n"), new RegExp(`verb=place device=${TEST_BDF} serial=S1 name=tiny bytes=${GGUF_BYTES} sha256=${sha256} outcome=ok`));

    const { devices } = await withClient((client) => client.request("status", {}));
    assert.deepEqual(devices[0]?.image, { state: "valid", name: "tiny", sizeBytes: GGUF_BYTES, sha256, placedAtMs: placed.image.placedAtMs });

    const opened = await withClient((client) => client.openImage({ device: TEST_BDF }));
    try {
      assert.equal(opened.offsetBytes, LOOP_AREA.startLba * 512 + 4096);
      assert.ok(fstatSync(opened.fd).isBlockDevice());
      assert.ok(readDirect(opened.fd, opened.offsetBytes, GGUF_BYTES).equals(content), "the image reads back as the GGUF");
      assert.throws(() => writeSync(opened.fd, Buffer.alloc(4096), 0, 4096, 0), { code: "EBADF" }, "the fd is read-only");
    } finally {
      closeSync(opened.fd);
    }
  });

  it("ntctl place --json passes the file as an fd and prints the placed image; ntctl devices shows it", async () => {
    const { file, content } = fixture.makeGguf("cli.gguf", 70_000);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [ntctlMain, "place", file, "--device", TEST_BDF, "--json", "--helper-socket", socketPath]);
    const { image } = JSON.parse(stdout) as { image: { name: string; sha256: string } };
    assert.equal(image.name, "cli");
    assert.equal(image.sha256, createHash("sha256").update(content).digest("hex"));
    const devices = await run(process.execPath, [ntctlMain, "devices", "--helper-socket", socketPath]);
    assert.match(devices.stdout, new RegExp(`image cli 70000 bytes sha256 ${image.sha256}`));
    await assert.rejects(run(process.execPath, [ntctlMain, "place", path.join(fixture.dir, "missing.gguf"), "--device", TEST_BDF, "--helper-socket", socketPath]), { code: 6 });
    // A dot file's default name must not start with "." (the helper refuses ".", ".." and hidden names).
    const dotted = fixture.makeGguf(".hidden.gguf", 8192);
    const placedDotted = await run(process.execPath, [ntctlMain, "place", dotted.file, "--device", TEST_BDF, "--json", "--helper-socket", socketPath]);
    assert.equal((JSON.parse(placedDotted.stdout) as { image: { name: string } }).image.name, "_hidden");
  });

  it("places again over its own image (our header is not a foreign signature)", async () => {
    const { file } = fixture.makeGguf("second.gguf", 3 << 20);
    assert.equal((await place(file, "second")).image.sizeBytes, 3 << 20);
  });

  const badFds: Array<[string, () => number]> = [
    ["a directory fd", () => openSync(fixture.dir, "r")],
    ["a write-only fd", () => openSync(path.join(fixture.dir, "wo.gguf"), "w")],
    ["a pipe", () => {
      const fifo = path.join(fixture.dir, "fifo");
      rmSync(fifo, { force: true });
      execFileSync("mkfifo", [fifo]);
      return openSync(fifo, "r+");
    }],
    ["a block device", () => openSync(fixture.loopDevice, "r")],
  ];
  for (const [what, open] of badFds) {
    it(`refuses ${what} as the GGUF with NT_E_BAD_FD, leaving the image as it was`, async () => {
      const before = (await withClient((client) => client.request("status", {}))).devices[0]?.image;
      await assert.rejects(withClient((client) => client.place({ device: TEST_BDF, name: "bad" }, open())), { code: "NT_E_BAD_FD" });
      assert.deepEqual((await withClient((client) => client.request("status", {}))).devices[0]?.image, before);
      assert.match(logLines.join("\n"), /verb=place .* outcome=NT_E_BAD_FD/);
    });
  }

  it("refuses a GGUF with a bad header (NT_E_BAD_GGUF) and one larger than the area (NT_E_IMAGE_TOO_LARGE)", async () => {
    await assert.rejects(place(fixture.makeGguf("bad.gguf", 8192, "GGUX").file), { code: "NT_E_BAD_GGUF" });
    const huge = fixture.makeGguf("huge.gguf", 4096);
    huge.content.writeBigUInt64LE(1n << 40n, 8);
    writeFileSync(huge.file, huge.content);
    await assert.rejects(place(huge.file), { code: "NT_E_BAD_GGUF" }, "tensor count beyond what the file can hold");
    await assert.rejects(place(fixture.makeGguf("big.gguf", LOOP_AREA.sizeBytes).file), { code: "NT_E_IMAGE_TOO_LARGE" });
    assert.equal((await withClient((client) => client.request("status", {}))).devices[0]?.image?.name, "second");
  });

  it("refuses a device that is mounted or held (NT_E_DEVICE_BUSY), not allowlisted, or another disk", async () => {
    const { file } = fixture.makeGguf("m.gguf", 8192);
    const mountinfo = path.join(fixture.procRoot, "self/mountinfo");
    const original = readFileSync(mountinfo, "utf8");
    appendFileSync(mountinfo, `40 22 ${fixture.devNumber} / /mnt rw - ext4 ${fixture.loopDevice} rw\n`);
    await assert.rejects(place(file), { code: "NT_E_DEVICE_BUSY" });
    writeFileSync(mountinfo, original);
    fixture.kernel.addHolder(TEST_BDF, "dm-0");
    await assert.rejects(place(file), { code: "NT_E_DEVICE_BUSY" });
    rmSync(path.join(fixture.sysfsRoot, "devices/pci0000:00", TEST_BDF, "nvme/nvme0/nvme0n1/holders/dm-0"));
    await assert.rejects(withClient((client) => client.place({ device: "0000:05:00.0", name: "m" }, openSync(file, "r"))), { code: "NT_E_DEVICE_NOT_ALLOWED" });
    fixture.kernel.setSerial(TEST_BDF, "S2");
    await assert.rejects(place(file), { code: "NT_E_IDENTITY_MISMATCH" });
    await assert.rejects(withClient((client) => client.openImage({ device: TEST_BDF })), { code: "NT_E_IDENTITY_MISMATCH" });
    fixture.kernel.setSerial(TEST_BDF, "S1");
    assert.equal((await withClient((client) => client.request("status", {}))).devices[0]?.image?.name, "second");
  });

  it("refuses a block device node that is a symlink or another device (path tricks)", async () => {
    const { file } = fixture.makeGguf("m.gguf", 8192);
    rmSync(fixture.namespaceNode);
    symlinkSync(fixture.loopDevice, fixture.namespaceNode);
    await assert.rejects(place(file), { code: "NT_E_IDENTITY_MISMATCH" }, "a symlink is never followed");
    rmSync(fixture.namespaceNode);
    execFileSync("mknod", [fixture.namespaceNode, "c", "1", "3"]);
    await assert.rejects(place(file), { code: "NT_E_IDENTITY_MISMATCH" }, "/dev/null's number is not the namespace's");
    rmSync(fixture.namespaceNode);
    const [major, minor] = fixture.devNumber.split(":");
    execFileSync("mknod", [fixture.namespaceNode, "b", major!, minor!]);
  });

  it("refuses a foreign signature in the area (NT_E_FOREIGN_SIGNATURE); a zeroed area has no image (open-image NT_E_NOT_FOUND)", async () => {
    const { file } = fixture.makeGguf("m.gguf", 8192);
    const superblock = Buffer.alloc(4096);
    superblock.write("\x53\xef", 1024 + 0x38, "latin1");
    writeArea(superblock);
    await assert.rejects(place(file), { code: "NT_E_FOREIGN_SIGNATURE" });
    assert.match(logLines.join("\n"), /outcome=NT_E_FOREIGN_SIGNATURE/);
    assert.equal((await withClient((client) => client.request("status", {}))).devices[0]?.image, null);
    const deeper = Buffer.alloc(128 << 10);
    deeper.write("_BHRfS_M", 64 << 10, "latin1");
    writeArea(deeper);
    await assert.rejects(place(file), { code: "NT_E_FOREIGN_SIGNATURE" }, "a btrfs magic at 64 KiB");
    writeArea(Buffer.alloc(128 << 10));
    await assert.rejects(withClient((client) => client.openImage({ device: TEST_BDF })), { code: "NT_E_NOT_FOUND" });
  });
});
