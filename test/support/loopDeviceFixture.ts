import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./makeHelperFixture.js";
import { loopDevicesUnavailable } from "./loopDevicesUnavailable.js";

export { loopDevicesUnavailable } from "./loopDevicesUnavailable.js";

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
 * The fake machine of makeHelperFixture, which requires its loop device here (it throws where
 * none can be had): the fake sysfs tree's nvme0n1/dev names the loop device's number and
 * <devRoot>/nvme0n1 is a node for it, which is all the helper uses to find the namespace's block
 * device. `areaBytes` sizes the image area (default LOOP_AREA's 4 MiB), the loop device growing
 * with it; a config file is written for running the binary.
 */
export function makeLoopHelperFixture(options: { areaBytes?: number } = {}): LoopHelperFixture {
  const unavailable = loopDevicesUnavailable();
  if (unavailable !== undefined) throw new Error(`a loop device fixture ${unavailable}`);
  const area = { ...LOOP_AREA, sizeBytes: options.areaBytes ?? LOOP_AREA.sizeBytes };
  // 8 MiB for the default area: 1 MiB before it, 3 MiB after.
  const fixture = makeHelperFixture(undefined, { namespaceBytes: area.startLba * 512 + area.sizeBytes + (3 << 20) });
  fixture.config.devices[0]!.imageArea = area;
  const { loopDevice, devNumber, node: namespaceNode } = fixture.namespaces.get(TEST_BDF)!;
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
    removeAll: () => fixture.remove(),
  };
}
