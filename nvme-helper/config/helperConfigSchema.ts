import { z } from "zod";
import { pciAddressSchema } from "../../protocol/helper/helperDeviceStatusSchema.js";

/**
 * `limits` of /etc/ntd/helper.json: how much of the helper a peer other than root may hold, so a
 * compromised `nt` (THREAT_MODEL.md) cannot take every fd, fill the queue, or keep root waiting.
 * Every field has a default; root's connections and requests are never counted nor refused.
 */
export const helperLimitsSchema = z.strictObject({
  /**
   * Open connections per uid (root exempt); one more is refused at once with NT_E_BUSY. Default 8:
   * ntd opens one per raw load, ntctl one per command.
   */
  maxConnectionsPerUid: z.int().positive().default(8),
  /** Open connections of all uids but root together; past it, NT_E_BUSY. Default 32. */
  maxConnections: z.int().positive().default(32),
  /**
   * A connection with no request waiting or running for this long is closed with NT_E_TIMEOUT
   * (root's too: an idle connection serves nobody). Default 30000 ms.
   */
  idleTimeoutMs: z.int().positive().default(30_000),
  /** Requests one uid (root exempt) may have waiting or running; one more is answered NT_E_BUSY. Default 4. */
  maxQueuedPerUid: z.int().positive().default(4),
  /** Requests of all uids but root together, waiting or running; past it, NT_E_BUSY. Default 16. */
  maxQueued: z.int().positive().default(16),
});

export type HelperLimits = z.infer<typeof helperLimitsSchema>;

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
  /** Bounds on connections, idle time and queued requests per peer (helperLimitsSchema above); absent: every default. */
  limits: helperLimitsSchema.optional(),
});

export type HelperConfig = z.infer<typeof helperConfigSchema>;
export type AllowedDevice = HelperConfig["devices"][number];
