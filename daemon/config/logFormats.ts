/**
 * The log formats ntd writes: "text" (coloured, timestamped, for a terminal), "journal" (syslog
 * priority prefixes, no timestamps: journald adds its own), "json" (one object per line), and
 * "auto", which picks "text" on a terminal and "journal" otherwise (see chooseLogFormat).
 */
export const LOG_FORMATS = ["auto", "text", "journal", "json"] as const;

export type LogFormat = (typeof LOG_FORMATS)[number];
