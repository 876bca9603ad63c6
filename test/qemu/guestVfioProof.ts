// Runs inside the QEMU guest that scripts/qemu/runVfioProof.sh boots, as root, with an emulated
// IOMMU and NVMe controller: places a model with the real helper, binds the controller to
// vfio-pci, then reads the placed image through the helper's own user-space NVMe driver
// (nvme-helper/native: VFIO type1, admin and I/O queues, PRP entries and lists, MSI-X) and
// compares every byte with the file — data, not status: QEMU completes a read into an unmapped
// IOVA with success — then restores and reads the same bytes through the kernel's block device.
// Then the product path: stories260K placed, bound again, and loaded by the real ntd (an
// unprivileged uid) with `--storage vfio` and tier C forced (guestNtdVfioLoad.ts); restored again;
// then kill -9 of ntd, and of the helper, while ntd streams tier C (GuestNtdStream.ts), each
// followed by a restore with the data intact and a clean second run with the same tokens.
// One line per check, then NT-QEMU-RESULT pass|fail (GuestChecks). Not a *.test.js file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
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
import { GuestNtdStream, type GuestNtdStreamOptions } from "./GuestNtdStream.js";
import { checkNtdVfioLoad } from "./guestNtdVfioLoad.js";
import { readKernelDevice } from "./readKernelDevice.js";

const { values } = parseArgs({
  options: {
    bdf: { type: "string" }, serial: { type: "string" }, model: { type: "string" },
    pattern: { type: "string" }, "pattern-offset": { type: "string" }, "disk-bytes": { type: "string" }, client: { type: "string" }, probe: { type: "string" },
    stories: { type: "string" },
  },
  strict: true,
});
const bdf = required("bdf");
const serial = required("serial");
const model = readFileSync(required("model"));
const modelSha256 = createHash("sha256").update(model).digest("hex");
const bootPattern = { offset: Number(required("pattern-offset")), bytes: readFileSync(required("pattern")) };
const diskBytes = Number(required("disk-bytes"));
/** test/qemu/dataplaneClient.c, built by the host: drives the data plane's ring as the engine would. */
const clientProgram = required("client");
/** test/qemu/vfioReaderProbe.cc: the engine's VfioReader over a session, built by the host. */
const probeProgram = required("probe");
/** stories260K.gguf (the test data), readable by NTD_UID: placed second, loaded by ntd through the data plane. */
const storiesPath = required("stories");
const stories = readFileSync(storiesPath);
/** The unprivileged uid ntd runs as in the guest; the helper's configuration allows it. */
const NTD_UID = 4242;

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

await check("open-dataplane is refused while the controller is on nvme (NT_E_DEVICE_BUSY)", () => withClient(async (client) => {
  assert.equal(await rejectionCode(request(client.openDataplane({ device: bdf }))), "NT_E_DEVICE_BUSY");
}));

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

/** The memfd of the session the checks below share (this process is its client). */
let sessionFd: number | undefined;
/** Whole-image passes of the bench, each way. */
const BENCH_PASSES = 3;
/** The data plane's bench, for the ratio against O_DIRECT once the kernel has the device back. */
let dataplaneBench: { bytes: number; seconds: number } | undefined;

await check("open-dataplane hands back a sealed memfd; the whole image read through the ring equals the file (sha256)", () => withClient(async (client) => {
  const session = await request(client.openDataplane({ device: bdf, slots: 4, slotBytes: 1 << 20 }));
  sessionFd = session.fd;
  assert.deepEqual({ name: session.image.name, sha256: session.image.sha256, bytes: session.image.sizeBytes },
    { name: "tiny", sha256: modelSha256, bytes: model.length });
  assert.deepEqual({ slots: session.layout.slotCount, slotBytes: session.layout.slotBytes, lba: session.layout.lbaBytes, ring: session.layout.ringEntries },
    { slots: 4, slotBytes: 1 << 20, lba: 512, ring: 64 });
  const run = await runClient("read-all", sessionFd);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(createHash("sha256").update(run.stdout).digest("hex"), modelSha256, "the image read through the data plane");
  process.stdout.write(`guest: ${run.stderr.trim()} (through the data plane, emulated)\n`);
  const bench = await runClient(["bench", String(BENCH_PASSES)], sessionFd);
  assert.equal(bench.status, 0, bench.stderr);
  dataplaneBench = parseBench(bench.stdout);
}));

await check("hostile ring requests are refused with their codes and nothing lands in the slot; a flood of them does not stop a good read", async () => {
  assert.ok(sessionFd !== undefined, "no session (an earlier check failed)");
  const run = await runClient("hostile", sessionFd);
  assert.equal(run.status, 0, run.stderr);
  const expected: Record<string, number> = {
    "past-image": 1, "straddles-image-end": 1, "huge-offset": 1, "bad-slot": 2, "past-slot": 2,
    "misaligned-offset": 3, "misaligned-length": 3, "misaligned-slot-offset": 3, "zero-bytes": 4, "too-many-bytes": 4,
  };
  const lines = run.stdout.toString().trim().split("\n");
  for (const [name, code] of Object.entries(expected)) {
    assert.ok(lines.includes(`case ${name} status ${code} untouched Y tag ok`), `${name}: expected code ${code}; the client said:\n${lines.join("\n")}`);
  }
  assert.ok(lines.includes("case flood refused 64 good 0 gguf-magic Y"), `the flood: ${lines.join("\n")}`);
  assert.match(expectHelper().stderr, /data plane refused a request \(code 2, outside the slots\)/);
});

await check("while a session runs, a second open-dataplane is NT_E_BUSY and the group cannot be taken (NT_E_DEVICE_BUSY)", () => withClient(async (client) => {
  assert.equal(await rejectionCode(request(client.openDataplane({ device: bdf }))), "NT_E_BUSY");
  assert.equal(await rejectionCode(Promise.resolve().then(() => openController(serial))), "NT_E_DEVICE_BUSY");
}));

await check("the client closes its session: the helper stops it (code 0), shuts the controller down, and serves the next client", async () => {
  assert.ok(sessionFd !== undefined, "no session (an earlier check failed)");
  const closed = await runClient("close", sessionFd);
  closeSync(sessionFd);
  sessionFd = undefined;
  assert.equal(closed.stdout.toString().trim(), "stopped 0", closed.stderr);
  await waitFor(() => sessionEnds() === 1, 10_000, "the helper's line about the session's end");
  await readWholeImageInNewSession();
});

await check("the engine's VfioReader reads the whole image through a session (sha256 equal); destroying it ends the session", async () => {
  const session = await withClientResult((client) => request(client.openDataplane({ device: bdf, slots: 3, slotBytes: 512 << 10 })));
  try {
    const ended = sessionEnds();
    const run = await runProgram(probeProgram, ["10000"], session.fd);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(createHash("sha256").update(run.stdout).digest("hex"), modelSha256, "the image read by VfioReader");
    await waitFor(() => sessionEnds() === ended + 1, 10_000, "the helper's line about the session the reader ended");
  } finally {
    closeSync(session.fd);
  }
});

await check("kill -9 of the session's client process: the helper notices, quiesces and serves the next client", async () => {
  const before = sessionEnds();
  const holder = spawn(process.execPath, [path.join(path.dirname(process.argv[1]!), "guestDataplaneHolder.js"), socket, bdf, clientProgram],
    { stdio: ["ignore", "pipe", "inherit"] });
  const grandchild = await withTimeout(new Promise<number>((resolve, reject) => {
    holder.stdout.on("data", (chunk: Buffer) => {
      const match = /holding (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    holder.once("exit", (code) => reject(new Error(`the holder exited (${code}) before holding`)));
  }), 60_000, "the holder's session");
  holder.kill("SIGKILL");
  await waitFor(() => sessionEnds() === before + 1, 10_000, "the helper's line about the killed client's session");
  process.kill(grandchild, "SIGKILL");
  await readWholeImageInNewSession();
});

await check("kill -9 of the helper mid-session: the client's reads fail instead of hanging; a restarted helper serves a new session", async () => {
  const session = await withClientResult((client) => request(client.openDataplane({ device: bdf, slots: 2, slotBytes: 1 << 20 })));
  try {
    await expectHelper().kill();
    helper = undefined;
    const run = await runClient("read-all", session.fd);
    assert.notEqual(run.status, 0, "a read with the helper dead must fail");
    assert.match(run.stderr, /no completion within|the helper stopped the session/);
    // The engine's reader, as ntd would use it: NT_E_IO once its wait runs out, not a hang.
    const probe = await runProgram(probeProgram, ["3000"], session.fd);
    assert.equal(probe.status, 3, probe.stderr);
    assert.match(probe.stderr, /^error NT_E_IO: .*no completion from nt-nvme-helper/);
  } finally {
    closeSync(session.fd);
  }
  helper = await GuestHelperProcess.start({ socket, config, journal: path.join(state, "journal") });
  await readWholeImageInNewSession();
});

await check("restore gives the controller back to nvme, ending the session that runs; its block device shows the image and the host's pattern", () => withClient(async (client) => {
  const session = await request(client.openDataplane({ device: bdf }));
  try {
    assert.equal((await request(client.request("restore", { device: bdf }))).devices[0]?.driver, "nvme");
    // The helper stopped the session (code 0) before the kernel's driver took the controller.
    assert.equal((await runClient("wait-stop", session.fd)).stdout.toString().trim(), "stopped 0");
    assert.match(expectHelper().stderr, /data-plane session of \S+ closed by the helper/);
  } finally {
    closeSync(session.fd);
  }
  await waitFor(() => readKernelDevice(bdf).namespaces[0]?.nodeMatches === true, 30_000, "the namespace's block device");
  const namespace = readKernelDevice(bdf).namespaces[0]!.name;
  const dataStart = AREA_START_LBA * 512 + IMAGE_HEADER_BYTES;
  assertSame(readBlock(namespace, dataStart, model.length), model, "the image through the block device");
  assertSame(readBlock(namespace, bootPattern.offset, bootPattern.bytes.length), bootPattern.bytes, "the host's pattern");
}));

await check("bench on the same emulated device: the data plane's read rate against the kernel's O_DIRECT, as a ratio", async () => {
  assert.ok(dataplaneBench, "no data-plane figure (an earlier check failed)");
  const namespace = readKernelDevice(bdf).namespaces[0]!.name;
  const run = await runClient(["odirect", `/dev/${namespace}`, String(AREA_START_LBA * 512 + IMAGE_HEADER_BYTES), String(model.length),
    String(1 << 20), String(BENCH_PASSES)]);
  assert.equal(run.status, 0, run.stderr);
  const direct = parseBench(run.stdout);
  const rate = (bench: { bytes: number; seconds: number }) => bench.bytes / bench.seconds / 1e6;
  // Both emulated by QEMU under TCG: the ratio says the data plane is not pathologically slow, nothing about real drives.
  process.stdout.write(`guest: bench data plane ${rate(dataplaneBench).toFixed(1)} MB/s (4 slots of 1 MiB in flight), ` +
    `O_DIRECT ${rate(direct).toFixed(1)} MB/s (1 MiB preads, one in flight), ratio ${(rate(dataplaneBench) / rate(direct)).toFixed(2)}\n`);
  assert.equal(dataplaneBench.bytes, direct.bytes);
});

await check("the helper places stories260K over the generated model (sha256 equal) and binds the controller again", () => withClient(async (client) => {
  const { image } = await request(client.place({ device: bdf, name: "stories" }, openSync(storiesPath, "r")));
  assert.equal(image.sha256, createHash("sha256").update(stories).digest("hex"));
  assert.equal((await request(client.request("bind", { device: bdf }))).device.driver, "vfio-pci");
}));

/** The greedy tokens of ntd's first vfio load: every later clean run must give the same. */
let ntdTokens: number[] | undefined;

await check(`ntd (uid ${NTD_UID}) loads stories260K with --storage vfio and tier C forced: greedy tokens equal to its file load's; status says vfio with read timings; unload ends the session`, async () => {
  expectHelper();
  ntdTokens = await checkNtdVfioLoad(ntdLoadOptions());
  // The data-plane thread slept on the controller's MSI-X eventfd rather than polling.
  const ended = expectHelper().stderr.split("\n").filter((line) => line.includes("ended by its client")).at(-1) ?? "";
  assert.match(ended, /, [1-9]\d* MSI-X interrupts;/, `the end of ntd's session: ${ended}`);
  process.stdout.write(`guest: helper: ${ended.trim()}\n`);
});

await check("restore after ntd's session: the block device shows stories260K and the host's pattern", restoreAndCompareStories);

await check("kill -9 of ntd while it streams tier C through the data plane: the helper ends its session and keeps the controller on vfio-pci", async () => {
  await bindAgain();
  const stream = await GuestNtdStream.start(ntdStreamOptions());
  const before = sessionEnds();
  assert.ok(stream.running, "the generation ended before the kill");
  await stream.ntd.kill();
  stream.client.close();
  assert.equal(await rejectionCode(withTimeout(stream.generation, 30_000, "the killed ntd's generation")), "NT_E_DAEMON_UNREACHABLE");
  await waitFor(() => sessionEnds() === before + 1, 60_000, "the helper's line about the end of the killed ntd's session");
  assert.equal(readKernelDevice(bdf).driver, "vfio-pci");
});

await check("restore after ntd was killed mid-stream: the block device shows stories260K and the host's pattern", restoreAndCompareStories);

await check("after ntd was killed: bind again, and a new ntd's --storage vfio load gives the same greedy tokens", async () => {
  await bindAgain();
  await cleanSecondRun();
});

await check("kill -9 of the helper while ntd streams tier C: ntd's generation fails with NT_E_IO (no hang), the model shows failed; a restarted helper takes over", async () => {
  const stream = await GuestNtdStream.start(ntdStreamOptions());
  try {
    assert.ok(stream.running, "the generation ended before the kill");
    await expectHelper().kill();
    helper = undefined;
    // The engine's reader waits 40 s for a completion before it gives up: far less than this.
    assert.equal(await rejectionCode(withTimeout(stream.generation, 180_000, "ntd's generation after the helper died")), "NT_E_IO");
    const status = (await stream.client.request("status", {})).models.find((m) => m.name === "stories");
    assert.equal(status?.state, "failed", `the model after the helper died: ${JSON.stringify(status)}`);
  } catch (err) {
    throw new Error(`${(err as Error).message}; ntd said: ${stream.ntd.output.slice(-1500)}`, { cause: err });
  } finally {
    await stream.stop();
  }
  helper = await GuestHelperProcess.start({ socket, config, journal: path.join(state, "journal") });
  assert.equal(readKernelDevice(bdf).driver, "vfio-pci");
});

await check("restore after the helper was killed mid-stream: the block device shows stories260K and the host's pattern", restoreAndCompareStories);

await check("after the helper was killed: bind again, and a new ntd's --storage vfio load gives the same greedy tokens", async () => {
  await bindAgain();
  await cleanSecondRun();
});

await check("restore at the end: the block device shows stories260K and the host's pattern", restoreAndCompareStories);

controller?.close();
await helper?.stop().catch(() => {});
checks.finish();

function ntdLoadOptions(): Parameters<typeof checkNtdVfioLoad>[0] {
  return {
    bdf, name: "stories", gguf: storiesPath, helperSocket: socket, uid: NTD_UID, dir: path.join(state, "ntd"),
    sessionEnded: () => {
      const before = sessionEnds();
      return waitFor(() => sessionEnds() === before + 1, 30_000, "the helper's line about the end of ntd's session");
    },
  };
}

function ntdStreamOptions(): GuestNtdStreamOptions {
  return { bdf, name: "stories", gguf: storiesPath, helperSocket: socket, uid: NTD_UID, dir: path.join(state, "ntd") };
}

/** A bind, a new ntd's vfio load and greedy run: the tokens of ntd's first vfio load. */
async function cleanSecondRun(): Promise<void> {
  assert.ok(ntdTokens, "no tokens from ntd's first vfio load (an earlier check failed)");
  assert.deepEqual(await checkNtdVfioLoad(ntdLoadOptions()), ntdTokens, "the tokens of the second run differ from the first's");
}

function bindAgain(): Promise<void> {
  return withClient(async (client) => {
    assert.equal((await request(client.request("bind", { device: bdf }))).device.driver, "vfio-pci");
  });
}

/** restore, then stories260K and the host's pattern read back through the kernel's block device. */
function restoreAndCompareStories(): Promise<void> {
  return withClient(async (client) => {
    assert.equal((await request(client.request("restore", { device: bdf }))).devices[0]?.driver, "nvme");
    await waitFor(() => readKernelDevice(bdf).namespaces[0]?.nodeMatches === true, 30_000, "the namespace's block device");
    const namespace = readKernelDevice(bdf).namespaces[0]!.name;
    assertSame(readBlock(namespace, AREA_START_LBA * 512 + IMAGE_HEADER_BYTES, stories.length), stories, "stories260K through the block device");
    assertSame(readBlock(namespace, bootPattern.offset, bootPattern.bytes.length), bootPattern.bytes, "the host's pattern");
  });
}

function parseBench(stdout: Buffer): { bytes: number; seconds: number } {
  const match = /^bench (\d+) ([0-9.]+)$/m.exec(stdout.toString());
  assert.ok(match, `no bench line in ${JSON.stringify(stdout.toString())}`);
  return { bytes: Number(match[1]), seconds: Number(match[2]) };
}

/** Runs dataplaneClient with `args` (its mode first) and the session's memfd as its fd 3; bounded. */
function runClient(args: string | string[], fd?: number): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return runProgram(clientProgram, typeof args === "string" ? [args] : args, fd);
}

/** Runs `program` with `mode` and `fd` (if any) as its fd 3; bounded. */
function runProgram(program: string, mode: string[], fd?: number): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(program, mode, { stdio: fd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", "pipe", "pipe", fd] });
  const stdout: Buffer[] = [];
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  return withTimeout(new Promise((resolve) => child.once("close", (status) => resolve({ status, stdout: Buffer.concat(stdout), stderr }))),
    120_000, `${path.basename(program)} ${mode.join(" ")}`);
}

/** How many data-plane sessions the helper has logged as ended by their client (closed, or the process gone). */
function sessionEnds(): number {
  return expectHelper().stderr.split("\n").filter((line) => line.includes("data-plane session of") && line.includes("ended by its client")).length;
}

/** A new session, the whole image through it (sha256 equal to the file's), then the session closed by the client. */
async function readWholeImageInNewSession(): Promise<void> {
  const session = await withClientResult((client) => request(client.openDataplane({ device: bdf })));
  try {
    const run = await runClient("read-all", session.fd);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(createHash("sha256").update(run.stdout).digest("hex"), modelSha256, "the image read through the new session");
    const ended = sessionEnds();
    assert.equal((await runClient("close", session.fd)).stdout.toString().trim(), "stopped 0");
    await waitFor(() => sessionEnds() === ended + 1, 10_000, "the helper's line about the session's end");
  } finally {
    closeSync(session.fd);
  }
}

function expectHelper(): GuestHelperProcess {
  assert.ok(helper, "the helper is not running (an earlier check failed)");
  return helper;
}

async function withClientResult<T>(body: (client: HelperClient) => Promise<T>): Promise<T> {
  const client = await HelperClient.connect(socket);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

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
    allowedUids: [NTD_UID], allowedGids: [],
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
