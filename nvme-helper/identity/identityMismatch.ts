import type { NvmeIdentity } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { AllowedDevice } from "../config/helperConfigSchema.js";

/**
 * Why `seen` is not the allowlisted device, or undefined when it is: every identity field the
 * allowlist entry names must be present and equal. A field sysfs did not show counts as a
 * mismatch — "could not check" is never "checked".
 */
export function identityMismatch(allowed: AllowedDevice, seen: NvmeIdentity): string | undefined {
  for (const field of ["serial", "eui64", "nguid"] as const) {
    const want = allowed[field];
    if (want === undefined) continue;
    const got = seen[field];
    if (got !== want) {
      return `${field} is ${got === undefined ? "unreadable" : JSON.stringify(got)}, the allowlist says ${JSON.stringify(want)}`;
    }
  }
  return undefined;
}
