import { configError } from "./configError.js";
import { daemonConfigSchema, type DaemonConfig } from "./daemonConfigSchema.js";

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
export function configFromEnvironment(env: NodeJS.ProcessEnv): Partial<DaemonConfig> {
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
