// Runs inside the QEMU guest that scripts/qemu/runHelperProof.sh boots, as root, with the real
// kernel's nvme and vfio-pci drivers and an emulated IOMMU: starts the real nt-nvme-helper on the
// real /sys, /proc and /dev, drives it with HelperClient, and checks every answer against what
// the kernel shows (sysfs and /dev read here, not the helper's view). One line per check,
// "ok NAME" or "not ok NAME: WHY", then "NT-QEMU-RESULT pass" or "NT-QEMU-RESULT fail": the host
// decides from that line alone. Not a *.test.js file: it would touch the machine's real devices.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import type { HelperConfig } from "../../nvme-helper/config/helperConfigSchema.js";
import { rejectionCode } from "../support/rejectionCode.js";
import { GuestChecks } from "./GuestChecks.js";
import { GuestHelperProcess, withTimeout } from "./GuestHelperProcess.js";
import { HELPER_CRASH_STEPS } from "./helperCrashSteps.js";
import { blockNodeNumber, readKernelDevice, vfioGroupNodeExists } from "./readKernelDevice.js";

const { values } = parseArgs({
  options: {
    bdf: { type: "string" }, serial: { type: "string" }, "other-bdf": { type: "string" }, "other-serial": { type: "string" },
    pattern: { type: "string" }, "pattern-offset": { type: "string" },
  },
  strict: true,
});
const bdf = required("bdf");
const serial = required("serial");
const otherBdf = required("other-bdf");
const otherSerial = required("other-serial");
/** Written into the disk image by the host before boot; must read back after every move. */
const bootPattern = { offset: Number(required("pattern-offset")), bytes: readFileSync(required("pattern")) };
/** Written by the guest through the block device before the first bind; must read back likewise. */
const guestPattern = { offset: bootPattern.offset + (8 << 20), bytes: randomBytes(1 << 20) };

/** Bounds every request: a helper that hangs must fail the check, not the whole boot. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The guest's one writable place is /dev/shm (scripts/qemu/guestInit.sh): socket, configs, journals. */
const state = "/dev/shm/nt-qemu";
const socket = path.join(state, "helper.sock");
const journal = path.join(state, "journal");
const config = writeConfig("etc", serial);
const wrongSerialConfig = writeConfig("etc-wrong-serial", `${serial}-NOT`);

/** The helper running now, stopped after a failed check so the next one starts clean. */
let running: GuestHelperProcess | undefined;
const checks = new GuestChecks(stopHelper);
const check = checks.check.bind(checks);

await check("the allowlisted controller is on nvme at boot with its serial, its block device, and an IOMMU group of its own", async () => {
  const namespace = await waitForNvme(bdf, serial, 60_000);
  const device = readKernelDevice(bdf);
  assert.ok(device.iommuGroup !== null, `${bdf} has no IOMMU group`);
  assert.deepEqual(device.groupPeers, [], `IOMMU group ${device.iommuGroup} also holds ${device.groupPeers.join(", ")}`);
  assert.equal(readKernelDevice(otherBdf).controller?.serial, otherSerial, `${otherBdf} is not the second controller`);
  assert.ok(namespace);
});

await check("the pattern written into the disk image before boot reads back through the block device", async () => {
  const namespace = expectOnNvme(bdf, serial);
  assertSame(readBlock(namespace, bootPattern.offset, bootPattern.bytes.length), bootPattern.bytes, "the host's pattern");
  const fd = openSync(`/dev/${namespace}`, "r+");
  try {
    writeAll(fd, guestPattern.bytes, guestPattern.offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
});

await check("the helper starts on the real /sys, /proc and /dev", async () => {
  running = await GuestHelperProcess.start({ socket, config, journal });
});

await check("status reports nvme, the serial, the block device and the IOMMU group the kernel shows", () => withClient(async (client) => {
  const { devices } = await request(client.request("status", {}));
  const kernel = readKernelDevice(bdf);
  assert.equal(devices.length, 1);
  const device = devices[0]!;
  assert.equal(device.bdf, bdf);
  assert.equal(device.driver, "nvme");
  assert.equal(device.identity.serial, serial);
  assert.equal(device.identityMatches, true);
  assert.deepEqual(device.blockDevices, kernel.namespaces.map((namespace) => namespace.name));
  assert.equal(device.iommuGroup, kernel.iommuGroup);
}));

// The guest kernel has no filesystem module to mount the namespace with; an exclusive open is the
// same claim the kernel makes for a mount, and the helper's /proc shows neither in another namespace.
await check("bind is refused (NT_E_DEVICE_BUSY) while a process in another mount namespace holds the namespace exclusively; nothing moves", () => withClient(async (client) => {
  const namespace = expectOnNvme(bdf, serial);
  const holder = await holdExclusively(`/dev/${namespace}`);
  try {
    assert.equal(await rejectionCode(request(client.request("bind", { device: bdf }))), "NT_E_DEVICE_BUSY");
    assert.equal(expectOnNvme(bdf, serial), namespace);
  } finally {
    await holder.release();
  }
}));

await check("bind moves the controller to vfio-pci: /dev/vfio/<group> appears, driver_override is cleared, the block device is gone", () => withClient(async (client) => {
  const before = expectOnNvme(bdf, serial);
  const { device } = await request(client.request("bind", { device: bdf }));
  assert.equal(device.driver, "vfio-pci");
  expectOnVfio(bdf, before);
}));

await check("status after bind says vfio-pci, no block device, identity as verified on nvme", () => withClient(async (client) => {
  const device = (await request(client.request("status", {}))).devices[0];
  assert.equal(device?.driver, "vfio-pci");
  assert.deepEqual(device?.blockDevices, []);
  assert.equal(device?.identityMatches, true);
  assert.equal(device?.iommuGroup, readKernelDevice(bdf).iommuGroup);
}));

await check("bind of a controller already on vfio-pci changes nothing", () => withClient(async (client) => {
  assert.equal((await request(client.request("bind", { device: bdf }))).device.driver, "vfio-pci");
  expectOnVfio(bdf);
}));

await check("restore gives the controller back to nvme: its block device reappears and the data reads back", () => withClient(async (client) => {
  const { devices } = await request(client.request("restore", { device: bdf }));
  assert.equal(devices[0]?.driver, "nvme");
  const namespace = expectOnNvme(bdf, serial);
  assert.deepEqual(devices[0]?.blockDevices, [namespace]);
  expectData(namespace);
}));

await check("a second restore is harmless: nothing moves, same controller and block device", () => withClient(async (client) => {
  const before = readKernelDevice(bdf);
  const { devices } = await request(client.request("restore", {}));
  assert.equal(devices[0]?.driver, "nvme");
  const after = readKernelDevice(bdf);
  assert.deepEqual(after.controller, before.controller);
  assert.deepEqual(after.namespaces, before.namespaces);
  expectData(expectOnNvme(bdf, serial));
}));

await check("bind and restore of a controller outside the allowlist are refused (NT_E_DEVICE_NOT_ALLOWED) and it stays on nvme", () => withClient(async (client) => {
  const before = expectOnNvme(otherBdf, otherSerial);
  assert.equal(await rejectionCode(request(client.request("bind", { device: otherBdf }))), "NT_E_DEVICE_NOT_ALLOWED");
  assert.equal(await rejectionCode(request(client.request("restore", { device: otherBdf }))), "NT_E_DEVICE_NOT_ALLOWED");
  assert.equal(expectOnNvme(otherBdf, otherSerial), before);
}));

await check("with a wrong serial in the allowlist, status says identity mismatch and bind is refused (NT_E_IDENTITY_MISMATCH); nothing moves", async () => {
  await stopHelper();
  running = await GuestHelperProcess.start({ socket, config: wrongSerialConfig, journal: path.join(state, "journal-wrong-serial") });
  await withClient(async (client) => {
    const before = expectOnNvme(bdf, serial);
    assert.equal((await request(client.request("status", {}))).devices[0]?.identityMatches, false);
    assert.equal(await rejectionCode(request(client.request("bind", { device: bdf }))), "NT_E_IDENTITY_MISMATCH");
    assert.equal(expectOnNvme(bdf, serial), before);
  });
  await stopHelper();
});

for (const { step, verb, left: expectedLeft } of HELPER_CRASH_STEPS) {
  await check(`kill -9 after ${step} leaves the device half-moved; the restarted helper repairs it to nvme with its data`, async () => {
    await stopHelper();
    if (verb === "restore") {
      running = await GuestHelperProcess.start({ socket, config, journal });
      await withClient(async (client) => assert.equal((await request(client.request("bind", { device: bdf }))).device.driver, "vfio-pci"));
      await stopHelper();
    }
    const armed = await GuestHelperProcess.start({ socket, config, journal, crashAt: step });
    running = armed;
    await withClient(async (client) => {
      assert.equal(await rejectionCode(request(client.request(verb, { device: bdf }))), "NT_E_DAEMON_UNREACHABLE");
    });
    assert.equal(await armed.exited(), "SIGKILL", `the helper should have killed itself after ${step}: ${armed.stderr}`);
    running = undefined;
    const left = readKernelDevice(bdf);
    // The kill happened mid-move: the restarted helper has real work to do.
    assert.deepEqual({ driver: left.driver, driverOverride: left.driverOverride }, expectedLeft, `state after the kill at ${step}`);

    running = await GuestHelperProcess.start({ socket, config, journal });
    assert.match(running.stderr, new RegExp(`repaired after a crash: ${verb} of ${bdf} `), "the restarted helper reports the repair");
    expectData(expectOnNvme(bdf, serial));
  });
  await check(`after the repair of a kill at ${step}, bind and restore work again`, () => withClient(async (client) => {
    const before = expectOnNvme(bdf, serial);
    assert.equal((await request(client.request("bind", { device: bdf }))).device.driver, "vfio-pci");
    expectOnVfio(bdf, before);
    assert.equal((await request(client.request("restore", { device: bdf }))).devices[0]?.driver, "nvme");
    expectData(expectOnNvme(bdf, serial));
  }));
}

await stopHelper().catch(() => {});
checks.finish();

async function stopHelper(): Promise<void> {
  const helper = running;
  running = undefined;
  await helper?.stop();
}

/** Connects to the running helper, first starting one (main config) when a failed check stopped it. */
async function withClient(body: (client: HelperClient) => Promise<void>): Promise<void> {
  running ??= await GuestHelperProcess.start({ socket, config, journal });
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

/** The device is on nvme with `expectedSerial`, no override, and its first namespace's node in /dev; returns its name. */
function expectOnNvme(device: string, expectedSerial: string): string {
  const kernel = readKernelDevice(device);
  assert.equal(kernel.driver, "nvme", `${device}'s driver`);
  assert.equal(kernel.driverOverride, "(null)", `${device}'s driver_override`);
  assert.equal(kernel.controller?.serial, expectedSerial, `${device}'s serial`);
  const namespace = kernel.namespaces[0];
  assert.ok(namespace, `${device} shows no namespace in sysfs`);
  assert.ok(namespace.nodeMatches, `/dev/${namespace.name} is not the block device ${namespace.devNumber} sysfs shows`);
  return namespace.name;
}

/** The device is on vfio-pci with no override, its group's node exists, and no nvme state is left (nor `formerNamespace` in /dev). */
function expectOnVfio(device: string, formerNamespace?: string): void {
  const kernel = readKernelDevice(device);
  assert.equal(kernel.driver, "vfio-pci", `${device}'s driver`);
  assert.equal(kernel.driverOverride, "(null)", `${device}'s driver_override`);
  assert.equal(kernel.controller, null, `${device} still shows an nvme controller`);
  assert.ok(kernel.iommuGroup !== null && vfioGroupNodeExists(kernel.iommuGroup), `/dev/vfio/${kernel.iommuGroup} is not there`);
  if (formerNamespace) assert.equal(blockNodeNumber(`/dev/${formerNamespace}`), undefined, `/dev/${formerNamespace} is still there`);
}

/**
 * Opens `node` O_EXCL from a process in a mount namespace of its own (unshare), as a container's
 * mount would claim it; release() ends that process, and with it the claim.
 */
async function holdExclusively(node: string): Promise<{ release: () => Promise<void> }> {
  const script = "const fs=require('fs');fs.openSync(process.argv[1],fs.constants.O_RDONLY|fs.constants.O_EXCL);" +
    "process.stdout.write('held\\n');process.stdin.resume();process.stdin.on('end',()=>process.exit(0));";
  const child = spawn("unshare", ["--mount", "--propagation", "private", process.execPath, "-e", script, node], { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  const held = await withTimeout(new Promise<boolean>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => resolve(chunk.toString().includes("held")));
    child.once("close", () => resolve(false));
  }), 30_000, "the exclusive holder");
  if (!held) throw new Error(`could not hold ${node} exclusively: ${stderr}`);
  return {
    release: async () => {
      child.stdin.end();
      await withTimeout(exited, 30_000, "the exclusive holder's exit");
    },
  };
}

/** Both patterns read back from the namespace's block device. */
function expectData(namespace: string): void {
  assertSame(readBlock(namespace, bootPattern.offset, bootPattern.bytes.length), bootPattern.bytes, "the host's pattern");
  assertSame(readBlock(namespace, guestPattern.offset, guestPattern.bytes.length), guestPattern.bytes, "the guest's pattern");
}

async function waitForNvme(device: string, expectedSerial: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return expectOnNvme(device, expectedSerial);
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readBlock(namespace: string, offset: number, length: number): Buffer {
  const fd = openSync(`/dev/${namespace}`, "r");
  try {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const got = readSync(fd, buffer, done, length - done, offset + done);
      if (got === 0) throw new Error(`/dev/${namespace} ends before ${offset + length}`);
      done += got;
    }
    return buffer;
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Buffer, offset: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
}

function assertSame(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  const first = actual.findIndex((byte, index) => byte !== expected[index]);
  assert.fail(`${what} differs from byte ${first} on`);
}

/** A root-owned 0755 folder with a 0644 config: what loadHelperConfig accepts (it refuses a folder others can write, such as /tmp). */
function writeConfig(folder: string, allowedSerial: string): string {
  const dir = path.join(state, folder);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const helperConfig: HelperConfig = {
    allowedUids: [], allowedGids: [],
    // 1 MiB in, 4 MiB long: clear of both patterns (16 MiB and 24 MiB).
    devices: [{ bdf, serial: allowedSerial, imageArea: { startLba: 2048, sizeBytes: 4 << 20 } }],
  };
  const file = path.join(dir, "helper.json");
  writeFileSync(file, JSON.stringify(helperConfig), { mode: 0o644 });
  return file;
}

function required(name: keyof typeof values): string {
  const value = values[name];
  if (value === undefined) throw new Error(`guestHelperProof: --${name} is required`);
  return value;
}
