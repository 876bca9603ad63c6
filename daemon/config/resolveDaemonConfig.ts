import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { NtError } from "../../protocol/NtError.js";
import { daemonConfigSchema, type DaemonConfig, type DaemonConfigInput } from "./daemonConfigSchema.js";
import { DEFAULT_DAEMON_CONFIG } from "./defaultDaemonConfig.js";

/** Where ntd reads its configuration file unless `--config` names another. */
export const DEFAULT_CONFIG_PATH = "/etc/ntd/config.json";

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

/**
 * The configuration a JSON file gives (any subset of the keys). A missing file is no
 * configuration when it is the default path (a fresh install needs none) and NT_E_NOT_FOUND when
 * the administrator named it (`explicit`): a typo in --config must not start ntd with defaults.
 * Invalid JSON, unknown keys and wrong types are NT_E_BAD_REQUEST naming the file and the key.
 */
async function readConfigFile(file: string, explicit: boolean): Promise<Partial<DaemonConfig>> {
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

/** The environment variable of each key; the README's table lists the same. */
const VARIABLES: Record<keyof DaemonConfig, string> = {
  socket: "NT_SOCKET",
  socketMode: "NT_SOCKET_MODE",
  socketGroup: "NT_SOCKET_GROUP",
  logLevel: "NT_LOG_LEVEL",
  logFormat: "NT_LOG_FORMAT",
  http: "NT_HTTP",
  keepAlive: "NT_KEEP_ALIVE",
  maxLoadedModels: "NT_MAX_LOADED_MODELS",
  queueLimit: "NT_QUEUE_LIMIT",
  threads: "NT_THREADS",
  contextSize: "NT_CONTEXT_SIZE",
  backend: "NT_BACKEND",
  vramBudget: "NT_VRAM_BUDGET",
  pinnedBudget: "NT_PINNED_BUDGET",
  dualPath: "NT_DUAL_PATH",
  chatTemplate: "NT_CHAT_TEMPLATE",
  kvType: "NT_KV_TYPE",
  httpApiKey: "NT_HTTP_API_KEY",
  httpAllowedHosts: "NT_HTTP_ALLOWED_HOSTS",
  httpAllowedOrigins: "NT_HTTP_ALLOWED_ORIGINS",
  socketFrameTimeout: "NT_SOCKET_FRAME_TIMEOUT",
  socketBufferLimit: "NT_SOCKET_BUFFER_LIMIT",
  helperSocket: "NT_HELPER_SOCKET",
};

/** Keys whose schema wants a number (the others take strings, socketMode and keepAlive both). */
const NUMERIC_KEYS = new Set(["maxLoadedModels", "queueLimit", "threads", "contextSize", "socketFrameTimeout"]);

/**
 * The configuration the NT_* environment variables give. An empty variable counts as unset (as
 * defaultSocketPath reads NT_SOCKET; `NT_HTTP=off` disables HTTP). A variable of a numeric key
 * is read as a number when it is an integer, and otherwise left a string for the schema to refuse,
 * so the error names the variable.
 */
function configFromEnvironment(env: NodeJS.ProcessEnv): Partial<DaemonConfig> {
  const raw: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(VARIABLES)) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    raw[key] = NUMERIC_KEYS.has(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  const parsed = daemonConfigSchema.partial().safeParse(raw);
  if (!parsed.success) {
    throw configError("environment", parsed.error, (key) => VARIABLES[key as keyof DaemonConfig] ?? key);
  }
  return parsed.data;
}

/**
 * An NT_E_BAD_REQUEST error for a configuration source that failed validation, naming the source
 * and each offending key as that source spells it (`keyName`: "queueLimit", "NT_QUEUE_LIMIT",
 * "--queue-limit").
 */
function configError(source: string, error: z.ZodError, keyName: (key: string) => string = (key) => key): NtError {
  const problems = error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => `unknown key "${keyName(key)}"`).join(", ");
    const key = issue.path.map(String).join(".");
    return key ? `"${keyName(key)}": ${issue.message}` : issue.message;
  });
  return new NtError("NT_E_BAD_REQUEST", `${source}: ${problems.join("; ")}`);
}

/** yargs gives every declared option, set or not; an unset one must not override the file. */
function withoutUndefined(values: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function kebabFlag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
