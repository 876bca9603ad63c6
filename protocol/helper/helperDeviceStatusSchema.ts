import { z } from "zod";

/**
 * A PCI address in the kernel's canonical sysfs spelling, domain:bus:device.function with
 * lower-case hex ("0000:01:00.0"). Exactly this form, because the helper builds sysfs paths from
 * it: nothing else (no "..", no "/", no upper case that would name another file) gets through.
 */
export const pciAddressSchema = z.string().regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/,
  "must be a PCI address such as 0000:01:00.0 (lower-case hex)");

/** The facts that identify an NVMe controller / namespace, as sysfs reports them; absent when unreadable. */
export const nvmeIdentitySchema = z.strictObject({
  /** The controller's serial number (sysfs nvme/nvmeN/serial), trimmed. */
  serial: z.string().optional(),
  /** The first namespace's EUI-64 (sysfs nvmeNn1/eui), as the kernel prints it. */
  eui64: z.string().optional(),
  /** The first namespace's NGUID (sysfs nvmeNn1/nguid), as the kernel prints it. */
  nguid: z.string().optional(),
});

/**
 * What the image header at the start of a device's image area says (nvme-helper/image): a VALID
 * image was written and verified by read-back; an INVALID one was being placed when the helper
 * stopped, or failed (its sha256 is then unknown).
 */
export const helperImageStatusSchema = z.strictObject({
  state: z.enum(["valid", "invalid"]),
  name: z.string(),
  /** Bytes of GGUF the image holds (or was to hold, when invalid). */
  sizeBytes: z.int().nonnegative(),
  /** Hex SHA-256 of those bytes as read back; absent while invalid. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** When the placement finished (valid) or started (invalid), ms since the Unix epoch. */
  placedAtMs: z.int().nonnegative(),
});

/** One allowlisted device as the helper sees it now (the `status` verb, and the result of bind/restore). */
export const helperDeviceStatusSchema = z.strictObject({
  /** The device's PCI address. */
  bdf: pciAddressSchema,
  /** The driver bound now ("nvme", "vfio-pci", …), or null when none is. */
  driver: z.string().nullable(),
  /** The device's IOMMU group number, or null when the IOMMU is off for it (then `bind` refuses). */
  iommuGroup: z.string().nullable(),
  /** The identity read from sysfs now; empty while the device is not on the nvme driver. */
  identity: nvmeIdentitySchema,
  /**
   * Whether the identity read now matches the allowlist entry. While the device is off the nvme
   * driver sysfs cannot show its serial; then this is the match recorded when it was last on nvme.
   */
  identityMatches: z.boolean(),
  /** Block devices of its namespaces ("nvme0n1"), empty unless on the nvme driver. */
  blockDevices: z.array(z.string()),
  /** Holders of those block devices (dm, md, LVM), by name; a device with holders is busy. */
  holders: z.array(z.string()),
  /** The area of the namespace reserved for the model image, from the helper's configuration. */
  imageArea: z.strictObject({ startLba: z.int().nonnegative(), sizeBytes: z.int().positive() }),
  /**
   * The image in that area, from its header: null when the area holds none (zeros, or data that
   * is not ours); absent when the helper could not read it (no block device: off nvme, or not
   * accessible).
   */
  image: helperImageStatusSchema.nullable().optional(),
});

export type NvmeIdentity = z.infer<typeof nvmeIdentitySchema>;
export type HelperImageStatus = z.infer<typeof helperImageStatusSchema>;
export type HelperDeviceStatus = z.infer<typeof helperDeviceStatusSchema>;
