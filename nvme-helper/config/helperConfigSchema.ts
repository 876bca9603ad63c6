import { z } from "zod";
import { pciAddressSchema } from "../../protocol/helper/helperDeviceStatusSchema.js";
import { helperLimitsSchema } from "./helperLimitsSchema.js";

/** One device the helper may touch: where it is (PCI address) *and* what it is (NVMe identity). */
const allowedDeviceSchema = z.strictObject({
  /** PCI address; the device found there must also match every identity field given below. */
  bdf: pciAddressSchema,
  /** Controller serial number (sysfs nvme/nvmeN/serial, trimmed). */
  serial: z.string().min(1).optional(),
  /** First namespace's EUI-64 as sysfs prints it (nvmeNn1/eui). */
  eui64: z.string().min(1).optional(),
  /** First namespace's NGUID as sysfs prints it (nvmeNn1/nguid). */
  nguid: z.string().min(1).optional(),
  /** The region of the namespace given to the model image; nothing outside it is ever written. */
  imageArea: z.strictObject({
    /** First logical block of the area. */
    startLba: z.int().nonnegative(),
    /** Size of the area in bytes, a multiple of 4096 (O_DIRECT). */
    sizeBytes: z.int().positive().multipleOf(4096),
  }),
}).refine((device) => device.serial !== undefined || device.eui64 !== undefined || device.nguid !== undefined,
  "an allowlisted device needs serial, eui64 or nguid: a PCI address alone can name another disk after a slot swap");

/** /etc/ntd/helper.json: who may talk to the helper, and which devices it may touch. */
export const helperConfigSchema = z.strictObject({
  /** Peer uids (SO_PEERCRED) allowed to send requests; root is always allowed. */
  allowedUids: z.array(z.int().nonnegative()).default([]),
  /** Peer primary gids (SO_PEERCRED reports no supplementary groups) allowed to send requests. */
  allowedGids: z.array(z.int().nonnegative()).default([]),
  /** The device allowlist; a PCI address appears at most once. */
  devices: z.array(allowedDeviceSchema).refine(
    (devices) => new Set(devices.map((device) => device.bdf)).size === devices.length,
    "a PCI address appears twice in devices"),
  /** Bounds on connections, idle time and queued requests per peer (helperLimitsSchema.ts); absent: every default. */
  limits: helperLimitsSchema.optional(),
});

export type HelperConfig = z.infer<typeof helperConfigSchema>;
export type AllowedDevice = HelperConfig["devices"][number];
