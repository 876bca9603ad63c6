// Runs inside the QEMU guest that scripts/qemu/runVfioProof.sh boots, as root, with an emulated
// IOMMU and NVMe controller: places a model with the real helper, binds the controller to
// vfio-pci, then reads the placed image through the helper's own user-space NVMe driver
// (nvme-helper/native: VFIO type1, admin and I/O queues, PRP entries and lists, polling) and
// compares every byte with the file — data, not status: QEMU completes a read into an unmapped
// IOVA with success — then restores and reads the same bytes through the kernel's block device.
// One line per check, then NT-QEMU-RESULT pass|fail (GuestChecks). Not a *.test.js file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import type { HelperConfig } from "../../nvme-helper/config/helperConfigSchema.js";
import { decodeAreaStart, IMAGE_HEADER_BYTES } from "../../nvme-helper/image/imageHeader.js";
import { VfioNvmeController } from "../../nvme-helper/vfio/VfioNvmeController.js";
import { rejectionCode } from "../support/rejectionCode.js";
import { GuestChecks } from "./GuestChecks.js";
import { GuestHelperProcess, withTimeout } from "./GuestHelperProcess.js";
import { readKernelDevice } from "./readKernelDevice.js";

const { values } = parseArgs({
  options: {
    bdf: { type: "string" }, serial: { type: "string" }, model: { type: "string" },
    pattern: { type: "string" }, "pattern-offset": { type: "string" }, "disk-bytes": { type: "string" },
  },
  strict: true,
});
const bdf = required("bdf");
const serial = required("serial");
const model = readFileSync(required("model"));
const modelSha256 = createHash("sha256").update(model).digest("hex");
const bootPattern = { offset: Number(required("pattern-offset")), bytes: readFileSync(required("pattern")) };
const diskBytes = Number(required("disk-bytes"));

/** The image area: 1 MiB in (LBA 2048 of 512-byte blocks), 24 MiB long; clear of the pattern. */
const AREA_START_LBA = 2048;
const AREA_BYTES = 24 << 20;
const REQUEST_TIMEOUT_MS = 120_000;
const state = "/dev/shm/nt-qemu";
const socket = path.join(state, "helper.sock");
const config = writeConfig();

let helper: GuestHelperProcess | undefined;
let controller: VfioNvmeController | undefined;
const checks = new GuestChecks(async () => {
  controller?.close();
  controller = undefined;
});
const check = checks.check.bind(checks);

await check("the allowlisted controller is on nvme at boot with its IOMMU group", async () => {
  await waitFor(() => readKernelDevice(bdf).controller?.serial === serial, 60_000, `${bdf} on nvme with serial ${serial}`);
  assert.ok(readKernelDevice(bdf).iommuGroup !== null);
});

await check("the helper places the generated model; its sha256 is the file's", async () => {
  helper = await GuestHelperProcess.start({ socket, config, journal: path.join(state, "journal") });
  await withClient(async (client) => {
    const fd = openSync(required("model"), "r");
    const { image } = await request(client.place({ device: bdf, name: "tiny" }, fd));
    assert.equal(image.sha256, modelSha256);
    assert.equal(image.sizeBytes, model.length);
  });
});

await check("bind moves the controller to vfio-pci", () => withClient(async (client) => {
  assert.equal((await request(client.request("bind", { device: bdf }))).device.driver, "vfio-pci");
  assert.equal(readKernelDevice(bdf).driver, "vfio-pci");
}));

await check("the driver brings the controller up: Identify reports the serial, one namespace of 512-byte blocks, the disk's size", () => {
  controller = openController(serial);
  const { info } = controller;
  assert.equal(info.serial, serial);
  assert.equal(info.namespaceId, 1);
  assert.equal(info.lbaBytes, 512);
  assert.equal(info.lbaCount * info.lbaBytes, diskBytes);
  assert.ok(info.maxTransferBytes >= 4096 && info.maxTransferBytes <= 1 << 20, `maxTransferBytes ${info.maxTransferBytes}`);
});

await check("the whole placed image reads through the driver: header valid, sha256 equal to the file's", () => {
  const ctrl = expectController();
  const header = Buffer.alloc(IMAGE_HEADER_BYTES);
  ctrl.read(AREA_START_LBA, header);
  const start = decodeAreaStart(header);
  assert.equal(start.kind, "image");
  assert.ok(start.kind === "image");
  assert.deepEqual({ state: start.header.state, name: start.header.name, bytes: start.header.ggufBytes, sha256: start.header.sha256 },
    { state: "valid", name: "tiny", bytes: model.length, sha256: modelSha256 });
  const blocks = Math.ceil(model.length / 512);
  const image = Buffer.alloc(blocks * 512);
  const t0 = process.hrtime.bigint();
  ctrl.read(AREA_START_LBA + IMAGE_HEADER_BYTES / 512, image);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  assertSame(image.subarray(0, model.length), model, "the image read through the driver");
  process.stdout.write(`guest: read ${image.length} bytes through the driver in ${seconds.toFixed(2)} s (${(image.length / seconds / 1e6).toFixed(1)} MB/s, emulated)\n`);
});

await check("reads of one page, two pages, a PRP list, a PRP1 inside its page and one past the driver's transfer size return the file's bytes", () => {
  const ctrl = expectController();
  const firstLba = AREA_START_LBA + IMAGE_HEADER_BYTES / 512;
  const cases = [
    { blocks: 8, dmaOffset: 0 }, { blocks: 16, dmaOffset: 0 }, { blocks: 24, dmaOffset: 0 }, { blocks: 1, dmaOffset: 4092 },
    { blocks: 9, dmaOffset: 512 }, { blocks: 40, dmaOffset: 3584 }, { blocks: ctrl.info.maxTransferBytes / 512 * 2 + 3, dmaOffset: 4 },
  ];
  for (const [index, { blocks, dmaOffset }] of cases.entries()) {
    const at = 7 + index * 13;  // odd block numbers: not aligned to anything
    const got = Buffer.alloc(blocks * 512);
    ctrl.read(firstLba + at, got, dmaOffset);
    assertSame(got, model.subarray(at * 512, (at + blocks) * 512), `${blocks} blocks at ${at} (DMA offset ${dmaOffset})`);
  }
});

await check("refusals: a second open while the driver holds the group (NT_E_DEVICE_BUSY), a read past the namespace (NT_E_BAD_REQUEST)", async () => {
  const ctrl = expectController();
  assert.equal(await rejectionCode(Promise.resolve().then(() => openController(serial))), "NT_E_DEVICE_BUSY");
  assert.equal(await rejectionCode(Promise.resolve().then(() => ctrl.read(ctrl.info.lbaCount - 1, Buffer.alloc(1024)))), "NT_E_BAD_REQUEST");
  ctrl.read(0, Buffer.alloc(512));
});

await check("after a clean shutdown, a wrong serial is refused (NT_E_IDENTITY_MISMATCH) and the controller still comes up with the right one", async () => {
  expectController().close();
  controller = undefined;
  assert.equal(await rejectionCode(Promise.resolve().then(() => openController(`${serial}X`))), "NT_E_IDENTITY_MISMATCH");
  controller = openController(serial);
  const header = Buffer.alloc(IMAGE_HEADER_BYTES);
  controller.read(AREA_START_LBA, header);
  assert.equal(decodeAreaStart(header).kind, "image");
  controller.close();
  controller = undefined;
});

await check("restore gives the controller back to nvme; its block device shows the image and the host's pattern", () => withClient(async (client) => {
  assert.equal((await request(client.request("restore", { device: bdf }))).devices[0]?.driver, "nvme");
  await waitFor(() => readKernelDevice(bdf).namespaces[0]?.nodeMatches === true, 30_000, "the namespace's block device");
  const namespace = readKernelDevice(bdf).namespaces[0]!.name;
  const dataStart = AREA_START_LBA * 512 + IMAGE_HEADER_BYTES;
  assertSame(readBlock(namespace, dataStart, model.length), model, "the image through the block device");
  assertSame(readBlock(namespace, bootPattern.offset, bootPattern.bytes.length), bootPattern.bytes, "the host's pattern");
}));

controller?.close();
await helper?.stop().catch(() => {});
checks.finish();

function openController(expectedSerial: string): VfioNvmeController {
  const group = readKernelDevice(bdf).iommuGroup;
  assert.ok(group !== null, `${bdf} has no IOMMU group`);
  return VfioNvmeController.open({ bdf, iommuGroup: group, serial: expectedSerial });
}

function expectController(): VfioNvmeController {
  assert.ok(controller, "no controller open (an earlier check failed)");
  return controller;
}

async function withClient(body: (client: HelperClient) => Promise<void>): Promise<void> {
  assert.ok(helper, "the helper is not running (an earlier check failed)");
  const client = await HelperClient.connect(socket);
  try {
    await body(client);
  } finally {
    client.close();
  }
}

function request<T>(promise: Promise<T>): Promise<T> {
  return withTimeout(promise, REQUEST_TIMEOUT_MS, "the helper's answer");
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readBlock(namespace: string, offset: number, length: number): Buffer {
  const fd = openSync(`/dev/${namespace}`, "r");
  try {
    const buffer = Buffer.alloc(length);
    for (let done = 0; done < length;) {
      const got = readSync(fd, buffer, done, length - done, offset + done);
      if (got === 0) throw new Error(`/dev/${namespace} ends before ${offset + length}`);
      done += got;
    }
    return buffer;
  } finally {
    closeSync(fd);
  }
}

function assertSame(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  const first = actual.findIndex((byte, index) => byte !== expected[index]);
  assert.fail(`${what} differs from byte ${first} on (${actual.length} vs ${expected.length} bytes)`);
}

/** A root-owned 0755 folder with a 0644 config, as loadHelperConfig demands. */
function writeConfig(): string {
  const dir = path.join(state, "etc");
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const helperConfig: HelperConfig = {
    allowedUids: [], allowedGids: [],
    devices: [{ bdf, serial, imageArea: { startLba: AREA_START_LBA, sizeBytes: AREA_BYTES } }],
  };
  const file = path.join(dir, "helper.json");
  writeFileSync(file, JSON.stringify(helperConfig), { mode: 0o644 });
  return file;
}

function required(name: keyof typeof values): string {
  const value = values[name];
  if (value === undefined) throw new Error(`guestVfioProof: --${name} is required`);
  return value;
}
