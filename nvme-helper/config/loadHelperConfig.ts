import { lstatSync, readFileSync, type Stats } from "node:fs";
import path from "node:path";
import { NtError } from "../../protocol/NtError.js";
import { parseMessage } from "../../protocol/parseMessage.js";
import { helperConfigSchema, type HelperConfig } from "./helperConfigSchema.js";

/**
 * Reads the helper's configuration, refusing (NT_E_BAD_REQUEST) one that someone other than root
 * could have written: the file and its folder must be owned by root (or by the helper's own euid,
 * so tests can run it unprivileged) and writable by nobody else, and the file must not be a
 * symlink. Otherwise the nt user — the one the helper defends against — could allowlist itself
 * or a disk of its choosing.
 */
export function loadHelperConfig(file: string): HelperConfig {
  const absolute = path.resolve(file);
  checkTrusted(absolute, lstatSync(absolute), "file");
  checkTrusted(path.dirname(absolute), lstatSync(path.dirname(absolute)), "folder");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(absolute, "utf8"));
  } catch (err) {
    throw new NtError("NT_E_BAD_REQUEST", `${absolute} is not JSON: ${(err as Error).message}`);
  }
  return parseMessage(helperConfigSchema, json, path.basename(absolute));
}

function checkTrusted(where: string, stats: Stats, what: "file" | "folder"): void {
  const kindOk = what === "file" ? stats.isFile() : stats.isDirectory();
  if (!kindOk) throw new NtError("NT_E_BAD_REQUEST", `${where} must be a plain ${what}, not a symlink or other`);
  const trustedOwners = new Set([0, process.geteuid?.() ?? 0]);
  if (!trustedOwners.has(stats.uid)) {
    throw new NtError("NT_E_BAD_REQUEST", `${where} is owned by uid ${stats.uid}; it must be owned by root`);
  }
  // 0o022: group- or world-writable. Such a folder would let its group replace the file.
  if ((stats.mode & 0o022) !== 0) {
    throw new NtError("NT_E_BAD_REQUEST",
      `${where} is writable by group or others (mode ${(stats.mode & 0o777).toString(8)}); it must be writable by root only`);
  }
}
