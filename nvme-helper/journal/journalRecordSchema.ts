import { z } from "zod";
import { nvmeIdentitySchema, pciAddressSchema } from "../../protocol/helper/helperDeviceStatusSchema.js";
import { imageNameSchema } from "../../protocol/helper/helperVerbs.js";

/**
 * Transaction numbers: positive and small (the journal is renumbered from 1 at every start), so
 * "the next one" is always a safe integer.
 */
const txnSchema = z.int().positive().max(2 ** 31 - 1);

/** A privileged change in progress: bind (nvme → vfio-pci), restore (→ nvme), or place (a GGUF into the image area). */
const journalBeginSchema = z.strictObject({
  type: z.literal("begin"),
  txn: txnSchema,
  op: z.enum(["bind", "restore", "place"]),
  /** Canonical, like a request's: the journal's addresses become sysfs paths at start. */
  bdf: pciAddressSchema,
  /** PCI vendor:device as sysfs shows them ("0x144d:0xa808"); how the device is recognised off nvme. */
  pciId: z.string().regex(/^(0x[0-9a-f]{4})?:(0x[0-9a-f]{4})?$/, "must be vendor:device as sysfs shows them"),
  /** NVMe identity verified before the change; empty for a restore of a device never seen on nvme. */
  identity: nvmeIdentitySchema,
  /** For place: what is being written where (the area is the configured one, recorded to show what was touched). */
  placement: z.strictObject({
    name: imageNameSchema,
    ggufBytes: z.int().nonnegative(),
    startLba: z.int().nonnegative(),
    areaBytes: z.int().positive(),
  }).optional(),
}).refine((begin) => (begin.op === "place") === (begin.placement !== undefined), "a place, and only a place, records its placement");

/** The next write of transaction `txn` is about to happen. */
const journalStepSchema = z.strictObject({
  type: z.literal("step"),
  txn: txnSchema,
  step: z.string().regex(/^(bind|restore|place):[a-z-]{1,32}$/, "must be a step name such as bind:unbind"),
});

/** Transaction `txn` finished (ok or failed and rolled back) or was repaired at start. */
const journalEndSchema = z.strictObject({
  type: z.literal("end"),
  txn: txnSchema,
  outcome: z.enum(["ok", "failed", "repaired"]),
});

/**
 * One line of the undo journal. The helper wrote it, but reads it back as untrusted input: a line
 * that does not match (damage, an older or hand-edited journal) must neither stop the helper nor
 * reach sysfs; UndoJournal sets it aside instead.
 */
export const journalRecordSchema = z.discriminatedUnion("type", [journalBeginSchema, journalStepSchema, journalEndSchema]);

export type JournalRecord = z.infer<typeof journalRecordSchema>;
export type JournalBegin = z.infer<typeof journalBeginSchema>;
export type JournalStep = z.infer<typeof journalStepSchema>;
export type JournalEnd = z.infer<typeof journalEndSchema>;
