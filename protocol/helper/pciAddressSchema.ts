import { z } from "zod";

/**
 * A PCI address in the kernel's canonical sysfs spelling, domain:bus:device.function with
 * lower-case hex ("0000:01:00.0"). Exactly this form, because the helper builds sysfs paths from
 * it: nothing else (no "..", no "/", no upper case that would name another file) gets through.
 */
export const pciAddressSchema = z.string().regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/,
  "must be a PCI address such as 0000:01:00.0 (lower-case hex)");
