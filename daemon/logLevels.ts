/** The log levels ntd accepts for --log-level, most severe first (a subset of winston's npm levels). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];
