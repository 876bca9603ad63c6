import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { LOSETUP } from "./loopDevicesUnavailable.js";

/** A loop device standing in for an NVMe namespace: its block node sits in the fixture's dev root. */
export interface LoopNamespace {
  /** /dev/loopN. */
  loopDevice: string;
  /** "major:minor" of the loop device, what the fake sysfs shows as the namespace's dev. */
  devNumber: string;
  /** <devRoot>/<name>: a block node (mknod) for the loop device. */
  node: string;
  /** Detaches the loop device (the backing file goes with the fixture's folder). */
  detach(): void;
}

/** Attaches a sparse `bytes`-byte file in `dir` as a loop device and makes <devRoot>/<name> its node. */
export function attachLoopNamespace(dir: string, devRoot: string, name: string, bytes: number): LoopNamespace {
  const backing = path.join(dir, `${name}.img`);
  execFileSync("truncate", ["-s", String(bytes), backing]);
  const loopDevice = execFileSync(LOSETUP, ["-f", "--show", backing], { encoding: "utf8" }).trim();
  const rdev = statSync(loopDevice).rdev;
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  const node = path.join(devRoot, name);
  execFileSync("mknod", [node, "b", String(major), String(minor)]);
  return { loopDevice, devNumber: `${major}:${minor}`, node, detach: () => execFileSync(LOSETUP, ["-d", loopDevice]) };
}
