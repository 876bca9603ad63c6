// ntd's logging: the levels and formats the configuration accepts, the choice behind "auto",
// and the logger itself (one line per event on stderr, which systemd connects to the journal).
import { fstatSync } from "node:fs";
import winston from "winston";

/** The log levels ntd accepts for --log-level, most severe first (a subset of winston's npm levels). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The log formats ntd writes: "text" (coloured, timestamped, for a terminal), "journal" (syslog
 * priority prefixes, no timestamps: journald adds its own), "json" (one object per line), and
 * "auto", which picks "journal" when stderr is the journal and "text" otherwise (see chooseLogFormat).
 */
export const LOG_FORMATS = ["auto", "text", "journal", "json"] as const;

export type LogFormat = (typeof LOG_FORMATS)[number];

/** The log formats createLogger writes: LogFormat with "auto" decided. */
export type ResolvedLogFormat = Exclude<LogFormat, "auto">;

/**
 * Decides "auto": "journal" only when the journal reads the stream the log is written to
 * (stderr), else "text". systemd.exec(5) documents the check: JOURNAL_STREAM is "DEVICE:INODE" of
 * the stream systemd connected to the journal (stdout's, or stderr's when only stderr goes there;
 * stderr is a dup of stdout when both do), and a process compares it with fstat of the descriptor
 * it writes to, because a redirection (`ntd 2>file` inside a unit, or a child that inherits the
 * variable) leaves the variable set while the stream goes elsewhere. Being under systemd
 * (INVOCATION_ID) or off a terminal proves nothing: a pipe to `tee` or a file wants text. An
 * explicit format is kept as it is.
 */
export function chooseLogFormat(configured: LogFormat, env: NodeJS.ProcessEnv = process.env,
  stderrFd = 2): ResolvedLogFormat {
  if (configured !== "auto") return configured;
  const journalStream = env.JOURNAL_STREAM;
  return journalStream && journalStream === streamId(stderrFd) ? "journal" : "text";
}

function streamId(fd: number): string | undefined {
  try {
    const stat = fstatSync(fd, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

/** Options of createLogger. */
export interface CreateLoggerOptions {
  /** Least severe level logged; the logger's `level` may be changed later (SIGHUP). Default "info". */
  level?: LogLevel;
  /**
   * "text": "2025-01-01T12:00:00.000Z warn conn#3: ...", coloured when `colors`; "journal":
   * "<4>conn#3: ..."; "json": {"level":"warn","message":"conn#3: ...","timestamp":"..."}.
   * Default "text".
   */
  format?: ResolvedLogFormat;
  /** Colour the level in "text" format (for a terminal). Default: whether stderr is a TTY. */
  colors?: boolean;
}

/**
 * The syslog priority of each level, as sd-daemon(3) defines the prefixes journald reads from a
 * service's stream: SD_ERR "<3>", SD_WARNING "<4>", SD_INFO "<6>", SD_DEBUG "<7>".
 */
const JOURNAL_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** The daemon's logger: one line per event on stderr, which systemd connects to the journal. */
export function createLogger(options: CreateLoggerOptions = {}): winston.Logger {
  const { level = "info", format = "text", colors = process.stderr.isTTY === true } = options;
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.errors({ stack: true }), lineFormat(format, colors)),
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
}

function lineFormat(format: ResolvedLogFormat, colors: boolean): winston.Logform.Format {
  switch (format) {
    case "json":
      return winston.format.combine(winston.format.timestamp(), winston.format.json());
    case "journal":
      // No timestamp: the journal stamps every entry. It takes each line of the stream as its own
      // entry, so every line of a stack trace carries the prefix (else it would be logged as info).
      return winston.format.printf(({ level, message, stack, error }) => {
        const prefix = `<${JOURNAL_PRIORITY[level as LogLevel] ?? 6}>`;
        return withStack(String(message), stack, error).split("\n").map((line) => prefix + line).join("\n");
      });
    case "text":
      return winston.format.combine(
        winston.format.timestamp(),
        ...(colors ? [winston.format.colorize({ level: true })] : []),
        winston.format.printf(({ timestamp, level, message, stack, error }) =>
          `${String(timestamp)} ${level} ${withStack(String(message), stack, error)}`),
      );
  }
}

/** The message, then the stack of a logged Error (`logger.error(err)`) or of an `{ error }` meta field. */
function withStack(message: string, stack: unknown, error: unknown): string {
  if (typeof stack === "string") return `${message}\n${stack}`;
  return error instanceof Error ? `${message}\n${error.stack ?? error.message}` : message;
}
