import winston from "winston";
import { LOG_LEVELS, type LogLevel } from "./logLevels.js";

/**
 * The daemon's logger: one readable line per event on stderr ("2025-01-01T12:00:00.000Z warn
 * conn#3: ..."), which systemd's journal also captures.
 */
export function createLogger(level: LogLevel): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.printf(({ timestamp, level, message, error }) =>
        `${String(timestamp)} ${level} ${String(message)}${error instanceof Error ? `\n${error.stack}` : ""}`),
    ),
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
}
