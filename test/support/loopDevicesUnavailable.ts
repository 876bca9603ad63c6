import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** losetup lives in sbin, which a root shell's PATH has and a CI job's PATH may not. */
export const LOSETUP = ["/usr/sbin/losetup", "/sbin/losetup"].find((p) => existsSync(p)) ?? "losetup";

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
