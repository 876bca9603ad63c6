import { existsSync } from "node:fs";
import path from "node:path";

/**
 * What to send the daemon for a model named on the command line: an absolute path when the
 * argument looks like one (it has a "/", ends in ".gguf", or names a file here), since the
 * daemon's working folder is not ours; otherwise a model name as given.
 */
export function toModelReference(argument: string): string {
  const looksLikePath = argument.includes("/") || argument.toLowerCase().endsWith(".gguf") || existsSync(argument);
  return looksLikePath ? path.resolve(argument) : argument;
}
