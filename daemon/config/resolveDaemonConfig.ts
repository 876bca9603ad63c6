import { configError } from "./configError.js";
import { configFromEnvironment } from "./configFromEnvironment.js";
import { daemonConfigSchema, type DaemonConfig, type DaemonConfigInput } from "./daemonConfigSchema.js";
import { DEFAULT_DAEMON_CONFIG } from "./defaultDaemonConfig.js";
import { DEFAULT_CONFIG_PATH, readConfigFile } from "./readConfigFile.js";

/** Where the configuration comes from, besides the defaults. */
export interface DaemonConfigSources {
  /** The JSON file to read. Default: /etc/ntd/config.json, which may be missing. */
  configPath?: string;
  /** The environment to read NT_* variables from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Values given on the command line (camelCase keys); they win over every other source. Default: none. */
  flags?: DaemonConfigInput;
}

/**
 * ntd's configuration: the defaults, overridden key by key by the file, then the environment,
 * then the flags. Each source is validated on its own, so an error names the source and the key
 * as that source spells it. Read again on SIGHUP (LiveConfig), with the same environment and flags.
 */
export async function resolveDaemonConfig(sources: DaemonConfigSources = {}): Promise<DaemonConfig> {
  const file = await readConfigFile(sources.configPath ?? DEFAULT_CONFIG_PATH, sources.configPath !== undefined);
  const env = configFromEnvironment(sources.env ?? process.env);
  const parsedFlags = daemonConfigSchema.partial().safeParse(withoutUndefined(sources.flags ?? {}));
  if (!parsedFlags.success) throw configError("command line", parsedFlags.error, kebabFlag);
  return { ...DEFAULT_DAEMON_CONFIG, ...file, ...env, ...parsedFlags.data };
}

/** yargs gives every declared option, set or not; an unset one must not override the file. */
function withoutUndefined(values: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function kebabFlag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
