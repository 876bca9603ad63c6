import { z } from "zod";
import { helperDeviceStatusSchema, pciAddressSchema } from "./helperDeviceStatusSchema.js";

/**
 * The label of a placed image (`place`'s name, kept in the image header and the helper's journal):
 * 1–128 of A–Z a–z 0–9 . _ -, starting with a letter, a digit or "_". So never "." or "..", never
 * a hidden name or one that reads as a command-line option, never a "/": a plain name that stays
 * harmless wherever it is shown or used.
 */
export const imageNameSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/,
  "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter, a digit or _");

/** What a placed image is, as `place` writes it and `open-image` reports it. */
export const imageInfoSchema = z.strictObject({
  /** The name given at `place` time. */
  name: z.string(),
  /** Bytes of GGUF in the image (without the image header). */
  sizeBytes: z.int().positive(),
  /** Hex SHA-256 of those bytes, read back from the device after writing. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** When it was placed, ms since the Unix epoch. */
  placedAtMs: z.int().nonnegative(),
});

/**
 * Every verb of helper.sock, and nothing else: its name → the schemas of its params, result and
 * (for `place`) events. The helper has no generic operation by design (STYLE: the root helper
 * reads like OpenSSH's privsep monitor); a new capability is a new verb here, reviewed as such.
 */
export const HELPER_VERBS = {
  /** Every allowlisted device, as it is now. */
  status: {
    params: z.strictObject({}),
    result: z.strictObject({ devices: z.array(helperDeviceStatusSchema) }),
  },
  /**
   * Writes a GGUF into the device's image area. The file travels as an open read-only fd with the
   * request (SCM_RIGHTS), never as a path: the helper opens nothing on a client's behalf.
   */
  place: {
    params: z.strictObject({
      device: pciAddressSchema,
      /** A label stored in the image header, shown by `status` (imageNameSchema: a plain name, never "." or ".."). */
      name: imageNameSchema,
    }),
    event: z.strictObject({ type: z.literal("progress"), done: z.int().nonnegative(), total: z.int().nonnegative() }),
    result: z.strictObject({ device: pciAddressSchema, image: imageInfoSchema }),
  },
  /** A read-only O_DIRECT fd of the namespace's block device travels back with the result (SCM_RIGHTS). */
  "open-image": {
    params: z.strictObject({ device: pciAddressSchema }),
    result: z.strictObject({
      device: pciAddressSchema,
      /** Where the GGUF starts on the block device, in bytes. */
      offsetBytes: z.int().nonnegative(),
      image: imageInfoSchema,
    }),
  },
  /**
   * Starts a VFIO data-plane session on a device bound to vfio-pci holding a VALID image: the
   * helper's own NVMe driver reads the image into staging slots of a sealed memfd that travels back
   * with the result (SCM_RIGHTS), driven through the ring in its first page
   * (protocol/helper/dataplaneRing.h). The session lasts until the client marks it closed in the
   * ring, the client process exits, or the device is restored. The VFIO fds never leave the helper.
   */
  "open-dataplane": {
    params: z.strictObject({
      device: pciAddressSchema,
      /** Staging slots [4]: 1..64. */
      slots: z.int().min(1).max(64).optional(),
      /** Bytes per slot [4 MiB]: a multiple of 4096, at most 256 MiB (the helper's config may lower it). */
      slotBytes: z.int().min(4096).max(256 << 20).multipleOf(4096).optional(),
    }),
    result: z.strictObject({
      device: pciAddressSchema,
      image: imageInfoSchema,
      /** The memfd's layout, as its header page also says. */
      layout: z.strictObject({
        headerBytes: z.int().positive(),
        slotsOffset: z.int().positive(),
        slotCount: z.int().min(1).max(64),
        slotBytes: z.int().positive(),
        /** Image offsets and lengths of requests are multiples of this. */
        lbaBytes: z.int().positive(),
        ringEntries: z.int().positive(),
        maxRequestBytes: z.int().positive(),
      }),
    }),
  },
  /** Moves the device from nvme to vfio-pci (driver_override → unbind → drivers_probe → clear → verify). */
  bind: {
    params: z.strictObject({ device: pciAddressSchema }),
    result: z.strictObject({ device: helperDeviceStatusSchema }),
  },
  /** Moves the device (every allowlisted device when none is named) back to nvme; idempotent. */
  restore: {
    params: z.strictObject({ device: pciAddressSchema.optional() }),
    result: z.strictObject({ devices: z.array(helperDeviceStatusSchema) }),
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType; event?: z.ZodType }>;

export type HelperVerbName = keyof typeof HELPER_VERBS;
export type HelperVerbParams<V extends HelperVerbName> = z.infer<(typeof HELPER_VERBS)[V]["params"]>;
export type HelperVerbResult<V extends HelperVerbName> = z.infer<(typeof HELPER_VERBS)[V]["result"]>;
/** The events a verb sends before its result (place's progress); `never` for a verb that sends none. */
export type HelperVerbEvent<V extends HelperVerbName> = (typeof HELPER_VERBS)[V] extends { event: infer E extends z.ZodType } ? z.infer<E> : never;

/** Whether a string names a helper verb; own keys only, so "constructor" or "__proto__" are not verbs. */
export function isHelperVerbName(name: string): name is HelperVerbName {
  return Object.hasOwn(HELPER_VERBS, name);
}
