import { fstatSync } from "node:fs";
import type { LogFormat } from "../config/logFormats.js";

/** The log formats createLogger writes: LogFormat with "auto" decided. */
export type ResolvedLogFormat = Exclude<LogFormat, "auto">;

/**
 * Decides "auto": "journal" when stderr goes to the journal or ntd runs under systemd, "text" on
 * a terminal, "journal" otherwise (a pipe or a file is read by a program or a log collector, and
 * the priority prefix is the cheapest machine-readable level). Facts relied on (systemd.exec(5)):
 * systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to the journal, so a
 * match with stderr's fstat proves the journal reads it; INVOCATION_ID is set in every unit's
 * processes. An explicit format is kept as it is.
 */
export function chooseLogFormat(configured: LogFormat, env: NodeJS.ProcessEnv = process.env,
  stderrFd = 2): ResolvedLogFormat {
  if (configured !== "auto") return configured;
  if (env.JOURNAL_STREAM && env.JOURNAL_STREAM === streamId(stderrFd)) return "journal";
  if (env.INVOCATION_ID) return "journal";
  return isTty(stderrFd) ? "text" : "journal";
}

function streamId(fd: number): string | undefined {
  try {
    const stat = fstatSync(fd);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

function isTty(fd: number): boolean {
  return fd === 2 ? process.stderr.isTTY === true : false;
}
