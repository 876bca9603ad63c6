import { NtError } from "../protocol/NtError.js";
import { exitCodeFor } from "./exitCodeFor.js";
import { wordAsFlags } from "./wordAsFlags.js";

/**
 * Prints a failed command's error — `ntctl: <message> [<code>]` on stderr, or with --json
 * `{"error":{"code","message"}}` on stdout, where a script reading the JSON looks — and returns
 * the exit status for it. A budget refusal names the flag the command line gave (wordAsFlags).
 */
export function reportError(err: unknown, json: boolean): number {
  const error = wordAsFlags(NtError.from(err), process.argv.slice(2));
  if (json) process.stdout.write(`${JSON.stringify({ error: error.toWire() })}\n`);
  else process.stderr.write(`ntctl: ${error.message} [${error.code}]\n`);
  return exitCodeFor(error.code);
}
