import type { CheckedDevice } from "./device/checkDevice.js";
import type { UndoJournal } from "./journal/UndoJournal.js";

/**
 * What HelperMonitor lends the verbs kept in their own files (place, open-image, the repair of a
 * placement): its journal and folders, the device check bound to its allowlist and last-verified
 * identities, and the journaled step with its crash hook. The monitor owns all of it.
 */
export interface VerbContext {
  readonly journal: UndoJournal;
  /** Where namespaces' block device nodes are (<devRoot>/nvme0n1). */
  readonly devRoot: string;
  /** Where mounts and swaps are read (self/mountinfo, swaps). */
  readonly procRoot: string;
  /** How long a client's fd (place's GGUF) may take to answer fstat and the read of its head, in ms. */
  readonly clientFdTimeoutMs: number;
  /** Allowlist + identity of `bdf`, read now (device/checkDevice.ts). */
  check(bdf: string): CheckedDevice;
  /** Journals a step, does it, then gives the crash hook its chance. */
  step(txn: number, step: string, write: () => Promise<void>): Promise<void>;
  /** The crash hook alone, for a step journaled apart from its write (place:write, place:verify). */
  afterStep(step: string): void;
}
