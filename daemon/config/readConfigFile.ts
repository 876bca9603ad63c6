import { readFile } from "node:fs/promises";
import { NtError } from "../../protocol/NtError.js";
import { configError } from "./configError.js";
import { daemonConfigSchema, type DaemonConfig } from "./daemonConfigSchema.js";

/** Where ntd reads its configuration file unless `--config` names another. */
export const DEFAULT_CONFIG_PATH = "/etc/ntd/config.json";

/**
 * The configuration a JSON file gives (any subset of the keys). A missing file is no
 * configuration when it is the default path (a fresh install needs none) and NT_E_NOT_FOUND when
 * the administrator named it (`explicit`): a typo in --config must not start ntd with defaults.
 * Invalid JSON, unknown keys and wrong types are NT_E_BAD_REQUEST naming the file and the key.
 */
export async function readConfigFile(file: string, explicit: boolean): Promise<Partial<DaemonConfig>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return {};
    if (code === "ENOENT") throw new NtError("NT_E_NOT_FOUND", `configuration file ${file} does not exist`, { cause: err });
    throw new NtError("NT_E_IO", `cannot read configuration file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NtError("NT_E_BAD_REQUEST", `configuration file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new NtError("NT_E_BAD_REQUEST", `configuration file ${file} must hold one JSON object`);
  }
  const parsed = daemonConfigSchema.partial().safeParse(json);
  if (!parsed.success) throw configError(`configuration file ${file}`, parsed.error);
  return parsed.data;
}
