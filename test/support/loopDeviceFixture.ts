import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./makeHelperFixture.js";

/** losetup lives in sbin, which a root shell's PATH has and a CI job's PATH may not. */
const LOSETUP = ["/usr/sbin/losetup", "/sbin/losetup"].find((p) => existsSync(p)) ?? "losetup";

/** Why loop-device tests cannot run here, or undefined when they can (root and a working losetup). */
export function loopDevicesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root for losetup and mknod";
  try {
    execFileSync(LOSETUP, ["--version"], { stdio: "ignore" });
  } catch {
    return "losetup is not installed";
  }
  return undefined;
}

/** The image area of the test device: 1 MiB in (LBA 2048 of 512 bytes), 4 MiB long. */
export const LOOP_AREA = { startLba: 2048, sizeBytes: 4 << 20 };

/** A helper fixture whose allowlisted namespace is a real loop device over an 8 MiB file. */
export interface LoopHelperFixture extends HelperFixture {
  /** /dev/loopN. */
  loopDevice: string;
  /** "major:minor" of the loop device, as the fake sysfs shows for nvme0n1. */
  devNumber: string;
  /** <devRoot>/nvme0n1: a block node made with mknod for the loop device. */
  namespaceNode: string;
  /** The helper's config file (etc/helper.json), for running the binary. */
  configFile: string;
  /** Writes a GGUF-looking file of `bytes` bytes (valid header, random body) and returns its path and content. */
  makeGguf(name: string, bytes: number, magic?: string): { file: string; content: Buffer };
  /** Detaches the loop device and removes everything. */
  removeAll(): void;
}

/**
 * Builds the fake machine of makeHelperFixture, then puts a loop device behind its namespace: the
 * fake sysfs tree's nvme0n1/dev names the loop device's number and <devRoot>/nvme0n1 is a node
 * for it, which is all the helper uses to find the namespace's block device. `areaBytes` sizes the
 * image area (default LOOP_AREA's 4 MiB), the loop device growing with it.
 */
export function makeLoopHelperFixture(options: { areaBytes?: number } = {}): LoopHelperFixture {
  const fixture = makeHelperFixture();
  const area = { ...LOOP_AREA, sizeBytes: options.areaBytes ?? LOOP_AREA.sizeBytes };
  fixture.config.devices[0]!.imageArea = area;
  const backing = path.join(fixture.dir, "namespace.img");
  // 8 MiB for the default area: 1 MiB before it, 3 MiB after.
  execFileSync("truncate", ["-s", String(area.startLba * 512 + area.sizeBytes + (3 << 20)), backing]);
  const loopDevice = execFileSync(LOSETUP, ["-f", "--show", backing], { encoding: "utf8" }).trim();
  const rdev = statSync(loopDevice).rdev;
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  const devNumber = `${major}:${minor}`;
  writeFileSync(path.join(fixture.sysfsRoot, "devices/pci0000:00", TEST_BDF, "nvme/nvme0/nvme0n1/dev"), `${devNumber}\n`);
  const namespaceNode = path.join(fixture.devRoot, "nvme0n1");
  execFileSync("mknod", [namespaceNode, "b", String(major), String(minor)]);
  const etc = path.join(fixture.dir, "etc");
  mkdirSync(etc, { mode: 0o755 });
  chmodSync(fixture.dir, 0o755);
  const configFile = path.join(etc, "helper.json");
  writeFileSync(configFile, JSON.stringify(fixture.config), { mode: 0o644 });
  return {
    ...fixture, loopDevice, devNumber, namespaceNode, configFile,
    makeGguf: (name, bytes, magic = "GGUF") => {
      const content = randomBytes(bytes);
      content.write(magic, 0, "latin1");
      content.writeUInt32LE(3, 4);
      content.writeBigUInt64LE(2n, 8);
      content.writeBigUInt64LE(3n, 16);
      const file = path.join(fixture.dir, name);
      writeFileSync(file, content, { mode: 0o644 });
      return { file, content };
    },
    removeAll: () => {
      try {
        execFileSync(LOSETUP, ["-d", loopDevice]);
      } finally {
        fixture.remove();
      }
    },
  };
}
