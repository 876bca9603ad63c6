import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import { journalRecordSchema, type JournalBegin, type JournalEnd, type JournalRecord } from "./journalRecordSchema.js";

export type { JournalBegin, JournalEnd, JournalRecord, JournalStep } from "./journalRecordSchema.js";

/** A journal line that was not a valid record in its place, with why (1-based line number). */
export interface RejectedLine {
  line: number;
  reason: string;
  text: string;
}

/** What read() found: the valid records, oldest first, and the lines it set apart. */
export interface JournalContents {
  records: JournalRecord[];
  rejected: RejectedLine[];
}

/**
 * Opened never through a symlink (O_NOFOLLOW): the journal's folder is root's, but the helper
 * writes as root, so a link there must not redirect a write.
 */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

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

  /**
   * The valid records, oldest first ([] when the journal does not exist yet), and every other
   * line: not JSON, not a record (journalRecordSchema), or out of place — a second begin of a
   * transaction, a step or an end of one never begun, a second end. A torn last line (no newline:
   * a crash mid-append, which announced nothing) is neither. Transaction numbers continue after
   * the valid records' only.
   */
  read(): JournalContents {
    let text: string;
    try {
      const fd = openSync(this.file, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        text = readFileSync(fd, "utf8");
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { records: [], rejected: [] };
      throw new NtError("NT_E_IO", `cannot read the journal ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    const lines = text.split("\n");
    // Every record ends with a newline; what follows the last one is a torn append (or nothing).
    lines.pop();
    const records: JournalRecord[] = [];
    const rejected: RejectedLine[] = [];
    const begun = new Set<number>();
    const ended = new Set<number>();
    lines.forEach((line, index) => {
      if (line === "") return;
      const outcome = checkLine(line, begun, ended);
      if (typeof outcome === "string") rejected.push({ line: index + 1, reason: outcome, text: line });
      else records.push(outcome);
    });
    this.#nextTxn = records.reduce((next, record) => Math.max(next, record.txn + 1), 1);
    return { records, rejected };
  }

  /**
   * Keeps `rejected` lines in <journal>.quarantine (appended, one JSON object per line, with
   * why and when), so a rewrite of the journal can drop them without losing them.
   */
  quarantine(rejected: RejectedLine[]): string {
    const file = `${this.file}.quarantine`;
    const fd = openSync(file, APPEND, 0o600);
    try {
      const atMs = Date.now();
      writeSync(fd, rejected.map((bad) => `${JSON.stringify({ atMs, ...bad })}\n`).join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return file;
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
    // A file (or a link) left there is removed, not followed: O_EXCL|O_NOFOLLOW creates anew.
    try {
      unlinkSync(temporary);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
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
    const fd = openSync(this.file, APPEND, 0o600);
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

/** The record `line` holds, or why it is refused; `begun` and `ended` track the transactions so far. */
function checkLine(line: string, begun: Set<number>, ended: Set<number>): JournalRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  const parsed = journalRecordSchema.safeParse(value);
  if (!parsed.success) return `not a journal record: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "record"}: ${issue.message}`).join("; ")}`;
  const record = parsed.data;
  if (record.type === "begin") {
    if (begun.has(record.txn)) return `a second begin of transaction ${record.txn}`;
    begun.add(record.txn);
    return record;
  }
  if (!begun.has(record.txn)) return `a ${record.type} of transaction ${record.txn}, which never began`;
  if (ended.has(record.txn)) return `a ${record.type} of transaction ${record.txn}, which had ended`;
  if (record.type === "end") ended.add(record.txn);
  return record;
}
