import { NtError } from "../protocol/NtError.js";

/** The protocol fields (also ntd's configuration keys) that budget refusals name, and ntctl's flag for each. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  vramBudget: "--vram-budget",
  pinnedBudget: "--pinned-budget",
  stagingSlots: "--staging-slots",
};

/**
 * An error as the user of ntctl should read it: a budget refusal ("vramBudget 12.0 MiB is too
 * small: …", worded by the engine with the protocol's field) names the flag instead when the
 * command line gave it ("--vram-budget 12.0 MiB is too small: …"). Without the flag the value
 * came from ntd's configuration, whose key the field already is, so the message stays.
 */
export function wordAsFlags(error: NtError, args: readonly string[]): NtError {
  if (error.code !== "NT_E_OUT_OF_MEMORY") return error;
  let message = error.message;
  for (const [field, flag] of Object.entries(FLAG_OF_FIELD)) {
    if (args.some((arg) => arg === flag || arg.startsWith(`${flag}=`))) message = message.replaceAll(new RegExp(`\\b${field}\\b`, "g"), flag);
  }
  return message === error.message ? error : new NtError(error.code, message);
}
