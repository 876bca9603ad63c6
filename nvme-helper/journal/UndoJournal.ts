import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import type { NvmeIdentity } from "../../protocol/helper/helperDeviceStatusSchema.js";

/** A privileged change in progress: bind (nvme → vfio-pci), restore (→ nvme), or place (a GGUF into the image area). */
export interface JournalBegin {
  type: "begin";
  txn: number;
  op: "bind" | "restore" | "place";
  bdf: string;
  /** PCI vendor:device and NVMe identity verified before the change; how the device is recognised off nvme. */
  pciId: string;
  identity: NvmeIdentity;
  /** For place: what is being written where (the area is the configured one, recorded to show what was touched). */
  placement?: { name: string; ggufBytes: number; startLba: number; areaBytes: number };
}

/** The next write of transaction `txn` is about to happen. */
export interface JournalStep {
  type: "step";
  txn: number;
  step: string;
}

/** Transaction `txn` finished (ok or failed and rolled back) or was repaired at start. */
export interface JournalEnd {
  type: "end";
  txn: number;
  outcome: "ok" | "failed" | "repaired";
}

export type JournalRecord = JournalBegin | JournalStep | JournalEnd;

/**
 * The undo journal: one JSON record per line, each written and fsynced *before* the change it
 * announces, so that after a crash (kill -9, power loss) the helper knows which device it may
 * have left half-moved, and from which identity. A torn last line (crash mid-write) is ignored:
 * the change it announced had not started.
 */
export class UndoJournal {
  readonly file: string;
  #nextTxn = 1;

  constructor(file: string) {
    this.file = path.resolve(file);
  }

  /** All records, oldest first; [] when the journal does not exist yet. */
  read(): JournalRecord[] {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const records: JournalRecord[] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        // Only the last line can be torn; anything after it was never written.
        break;
      }
    }
    for (const record of records) this.#nextTxn = Math.max(this.#nextTxn, record.txn + 1);
    return records;
  }

  /** Starts a transaction and returns its number (durable on return). */
  begin(record: Omit<JournalBegin, "type" | "txn">): number {
    const txn = this.#nextTxn++;
    this.#append({ type: "begin", txn, ...record });
    return txn;
  }

  /** Announces the next write of `txn` (durable on return). */
  step(txn: number, step: string): void {
    this.#append({ type: "step", txn, step });
  }

  end(txn: number, outcome: JournalEnd["outcome"]): void {
    this.#append({ type: "end", txn, outcome });
  }

  /**
   * Replaces the journal with `records` atomically (write a temporary file, fsync, rename, fsync
   * the folder), so the journal does not grow without bound and a crash leaves old or new, whole.
   */
  rewrite(records: JournalRecord[]): void {
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, "w", 0o600);
    try {
      writeSync(fd, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    syncFolder(path.dirname(this.file));
  }

  #append(record: JournalRecord): void {
    const fd = openSync(this.file, "a", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** fsync of a folder, so a rename or a newly created file in it survives a crash. */
function syncFolder(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
