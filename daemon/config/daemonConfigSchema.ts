import { z } from "zod";
import { parseByteSize } from "../../protocol/parseByteSize.js";
import { MAX_FRAME_BYTES } from "../../protocol/transport.js";
import { CHAT_FORMAT_IDS } from "../../protocol/verbs/chatFormats.js";
import { keepAliveSchema } from "../../protocol/verbs/keepAlive.js";
import { KV_TYPES } from "../../protocol/verbs/loadOptions.js";
import { LOG_FORMATS, LOG_LEVELS } from "../logging.js";

/** Permission bits as an octal string ("0660", "660") or a number (JSON has no octal literals). */
const fileModeSchema = z.union([
  z.string().regex(/^0?[0-7]{3}$/, 'must be octal permission bits such as "0660"').transform((text) => parseInt(text, 8)),
  z.number().int().min(0).max(0o777),
]);

/**
 * An HTTP listen address: "HOST:PORT" ("[::1]:PORT" for IPv6), a bare PORT (on 127.0.0.1, as
 * `--http PORT` in issue 4), or "" / "off" to serve no HTTP. Normalised to "HOST:PORT" or "".
 */
const httpListenSchema = z.string().transform((text, ctx) => {
  const value = text.trim();
  if (value === "" || value === "off") return "";
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):)?(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not HOST:PORT, PORT, "" or "off"` });
    return z.NEVER;
  }
  return `${match[1] ?? "127.0.0.1"}:${port}`;
});

/**
 * A memory budget: "auto" (the engine chooses), a number of bytes, or a size string such as
 * "24GiB", "512MiB", "1.5GB" (parseByteSize). Normalised to bytes or "auto".
 */
const budgetSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (value === "auto") return "auto" as const;
  try {
    return parseByteSize(value, "the budget");
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `${(err as Error).message}, or "auto"` });
    return z.NEVER;
  }
});

/**
 * socketBufferLimit: a size as budgets are written, at least one frame of the largest size (a
 * smaller limit would refuse honest frames that the protocol allows, whatever the load).
 */
const frameBufferLimitSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    const bytes = parseByteSize(value, "the limit");
    if (bytes >= MAX_FRAME_BYTES) return bytes;
    ctx.addIssue({ code: "custom", message: `${value} is below the largest frame, ${MAX_FRAME_BYTES} bytes (16MiB)` });
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
  }
  return z.NEVER;
});

/**
 * A list of entries: a JSON array of strings, or one string of comma-separated entries (as the
 * environment and flags give it). Each entry is trimmed and passed through `normalise`, which
 * returns its canonical form or undefined for an invalid one; blank entries are dropped.
 */
function listSchema(normalise: (entry: string) => string | undefined, expected: string) {
  return z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
    const entries = (typeof value === "string" ? value.split(",") : value).map((entry) => entry.trim()).filter(Boolean);
    const normalised: string[] = [];
    for (const entry of entries) {
      const canonical = normalise(entry);
      if (canonical === undefined) ctx.addIssue({ code: "custom", message: `"${entry}" is not ${expected}` });
      else normalised.push(canonical);
    }
    return normalised;
  });
}

/** A Host name as the Host header carries it: a name, an IPv4 address or a bracketed IPv6 one, with or without a port. */
const HOST_ENTRY = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::\d{1,5})?$/i;

/**
 * An origin: http(s)://host[:port], nothing after but an optional "/"; normalised as browsers
 * send it in Origin (lower case, no default port, no "/").
 */
function normaliseOrigin(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
  return bare && (url.protocol === "http:" || url.protocol === "https:") ? url.origin : undefined;
}

/**
 * ntd's configuration, every key. Sources, each overriding the one before: the defaults
 * (DEFAULT_DAEMON_CONFIG), the JSON file (/etc/ntd/config.json or `--config`), the environment
 * (NT_*), the command line. Strict: an unknown key is an error naming it, so a typo is never
 * silently ignored. daemon/config/README.md documents each key with its variable and flag.
 */
export const daemonConfigSchema = z.strictObject({
  /** Unix socket ntd listens on. */
  socket: z.string().min(1).max(107, "must fit a Unix socket address (107 bytes)"),
  /** Permission bits of the socket file. */
  socketMode: fileModeSchema,
  /** Group the socket file is given, so its members may connect; "" keeps the daemon's own group. */
  socketGroup: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$|^$/, "must be a group name"),
  /** Least severe level logged. */
  logLevel: z.enum(LOG_LEVELS),
  /** How log lines are written (see LOG_FORMATS). */
  logFormat: z.enum(LOG_FORMATS),
  /** Where the OpenAI-compatible HTTP endpoint listens; "" serves none. */
  http: httpListenSchema,
  /** keep_alive of a load that does not give one (Ollama's duration forms). */
  keepAlive: keepAliveSchema,
  /** Most models held at once. */
  maxLoadedModels: z.number().int().min(1),
  /** Most requests waiting per model before NT_E_BUSY. */
  queueLimit: z.number().int().min(0),
  /** CPU threads of a load that does not give them; 0: one per hardware thread (the engine's default). */
  threads: z.number().int().min(0),
  /** Context size of a load that does not give one; 0: the model's training context, at most 4096 (the engine's default). */
  contextSize: z.number().int().min(0),
  /** Backend of a load that does not choose one: "auto" (CUDA when usable, else CPU), "cuda" or "cpu". */
  backend: z.enum(["auto", "cpu", "cuda"]),
  /** Device memory budget of a load that gives none, in bytes; "auto": free device memory minus a margin. */
  vramBudget: budgetSchema,
  /** Pinned host memory budget of a load that gives none, in bytes; "auto": the engine's choice. */
  pinnedBudget: budgetSchema,
  /** KV cache storage of a load that gives none: "f32", "f16" or "q8_0". */
  kvType: z.enum(KV_TYPES),
  /**
   * The dual path of a load that does not choose (tier D: the CPU computes some streamed layers
   * from pinned RAM while the link copies the others): "auto", "on" or "off".
   */
  dualPath: z.enum(["auto", "on", "off"]),
  /**
   * Chat format of a load that chooses none, by llama.cpp's name ("chatml", "llama3", …), used
   * instead of the model's own template; "": the model's, else ChatML.
   */
  chatTemplate: z.union([z.literal(""), z.enum(CHAT_FORMAT_IDS)], {
    error: () => `must be "" or a chat template ntd knows: ${CHAT_FORMAT_IDS.join(", ")}`,
  }),
  /**
   * The key every HTTP request but /health must give as `Authorization: Bearer <key>`; "" (the
   * default): none. Visible ASCII only, as it travels in a header. Never logged.
   */
  httpApiKey: z.string().regex(/^[\x21-\x7e]*$/, "must be visible ASCII characters (no spaces)"),
  /**
   * Host names the HTTP API answers besides loopback ones (localhost, 127.0.0.0/8, [::1]) and its
   * listen address: "name" on any port, "name:port" on that one. Others get 403 (DNS rebinding).
   */
  httpAllowedHosts: listSchema((entry) => HOST_ENTRY.test(entry) ? entry.toLowerCase() : undefined,
    'a host name or address, optionally with ":port"'),
  /**
   * Web origins ("https://chat.example") whose pages may call the HTTP API (CORS); a request
   * with any other Origin gets 403.
   */
  httpAllowedOrigins: listSchema(normaliseOrigin, 'an origin such as "http://localhost:3000"'),
  /** How long a frame on ntd.sock may take from its first byte to its last, in seconds; then the connection is dropped. */
  socketFrameTimeout: z.number().int().min(1),
  /** The most bytes all ntd.sock connections together may hold for frames not yet complete, in bytes. */
  socketBufferLimit: frameBufferLimitSchema,
  /** nt-nvme-helper's socket, asked for placed images (`load` with storage "raw" or "vfio"). */
  helperSocket: z.string().min(1).max(107, "must fit a Unix socket address (107 bytes)"),
});

/** ntd's configuration as validated (socketMode a number, http normalised). */
export type DaemonConfig = z.output<typeof daemonConfigSchema>;

/** One source's share of the configuration, as written (before validation). */
export type DaemonConfigInput = Partial<z.input<typeof daemonConfigSchema>>;
