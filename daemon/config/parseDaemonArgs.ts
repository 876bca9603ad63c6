import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { packageVersion } from "../../protocol/packageVersion.js";
import { CHAT_FORMAT_IDS } from "../../protocol/verbs/chatFormats.js";
import { KV_TYPES } from "../../protocol/verbs/loadOptions.js";
import { LOG_FORMATS, LOG_LEVELS } from "../logging.js";
import type { DaemonConfigInput } from "./daemonConfigSchema.js";
import { DEFAULT_CONFIG_PATH } from "./resolveDaemonConfig.js";

/** ntd's command line: the configuration file to read, and the keys given as flags. */
export interface DaemonArgs {
  /** `--config PATH`; undefined: the default file, which may be missing. */
  configPath: string | undefined;
  /** Keys set on the command line; they win over the file and the environment. */
  flags: DaemonConfigInput;
}

/**
 * Parses ntd's command line. No option has a yargs default: an option left out must not override
 * the file or the environment (the defaults live in DEFAULT_DAEMON_CONFIG alone).
 */
export async function parseDaemonArgs(argv: string[] = process.argv): Promise<DaemonArgs> {
  const args = await yargs(hideBin(argv))
    .scriptName("ntd")
    .usage("$0 [options]\n\nServe the ntransformer socket in the foreground. Every option is also a key of the "
      + `configuration file (${DEFAULT_CONFIG_PATH}) and an NT_* variable; see daemon/config/README.md.`)
    .option("config", { type: "string", describe: `JSON configuration file (default ${DEFAULT_CONFIG_PATH}, optional)` })
    .option("socket", { type: "string", describe: "Unix socket to listen on (/run/ntd/ntd.sock)" })
    .option("socket-mode", { type: "string", describe: 'Permission bits of the socket ("0660")' })
    .option("socket-group", { type: "string", describe: 'Group of the socket ("nt"; "" keeps the daemon\'s group)' })
    .option("log-level", { choices: LOG_LEVELS, describe: "Least severe level logged (info)" })
    .option("log-format", { choices: LOG_FORMATS, describe: "auto: text on a terminal, journal otherwise (auto)" })
    .option("log-json", { type: "boolean", describe: "Same as --log-format json" })
    .option("http", { type: "string", describe: 'OpenAI-compatible HTTP endpoint, HOST:PORT or PORT (on 127.0.0.1), "" or "off" (default: off)' })
    .option("keep-alive", { type: "string", describe: 'How long an idle model stays loaded ("5m"; 0: unload at once; -1: forever)' })
    .option("max-loaded-models", { type: "number", describe: "Most models held at once (3)" })
    .option("queue-limit", { type: "number", describe: "Most requests waiting per model before NT_E_BUSY (512)" })
    .option("threads", { type: "number", describe: "CPU threads of a load that gives none (0: one per hardware thread)" })
    .option("ctx-size", { alias: "c", type: "number", describe: "Context size of a load that gives none (0: the model's, at most 4096)" })
    // The spelling before ntctl's and llama.cpp's --ctx-size was adopted; daemon/config/README.md named it.
    .option("context-size", { type: "number", hidden: true })
    .option("backend", { choices: ["auto", "cpu", "cuda"] as const, describe: "Backend of a load that gives none (auto: CUDA when usable, else CPU)" })
    .option("vram-budget", { type: "string", describe: 'Device memory of a load that gives none: bytes, "24GiB", "1.5GB", or auto (free memory less a margin)' })
    .option("pinned-budget", { type: "string", describe: 'Pinned host memory of a load that gives none: bytes, "64GiB", or auto (the engine\'s choice)' })
    .option("dual-path", { choices: ["auto", "on", "off"] as const, describe: "Dual path of a load that does not choose: auto, on or off (auto)" })
    .option("chat-template", { choices: CHAT_FORMAT_IDS, describe: "Chat format of a load that chooses none, e.g. chatml or llama3, instead of the model's own template (default: the model's, else ChatML)" })
    .option("kv-type", { choices: KV_TYPES, describe: "KV cache storage of a load that gives none: f32, f16 or q8_0 (f16)" })
    .option("http-api-key", { type: "string", describe: "Key HTTP clients must send as \"Authorization: Bearer KEY\" (default: none; prefer NT_HTTP_API_KEY: flags show in ps)" })
    .option("http-allowed-hosts", { type: "string", describe: "Host names the HTTP API answers besides loopback, comma-separated (name or name:port; default: none)" })
    .option("http-allowed-origins", { type: "string", describe: "Web origins whose pages may call the HTTP API, comma-separated (e.g. http://localhost:3000; default: none)" })
    .option("socket-frame-timeout", { type: "number", describe: "Seconds a frame on the socket may take from first byte to last before the connection is dropped (30)" })
    .option("socket-buffer-limit", { type: "string", describe: 'Memory all socket connections together may hold for unfinished frames ("64MiB"; at least 16MiB)' })
    .option("helper-socket", { type: "string", describe: "nt-nvme-helper's socket, for loads of placed images, --storage raw or vfio (/run/nt-nvme-helper/helper.sock)" })
    .strict()
    .version(packageVersion())
    .help()
    .parseAsync();
  return {
    configPath: args.config,
    flags: {
      socket: args.socket,
      socketMode: args.socketMode,
      socketGroup: args.socketGroup,
      logLevel: args.logLevel,
      logFormat: args.logJson ? "json" : args.logFormat,
      http: args.http,
      keepAlive: args.keepAlive,
      maxLoadedModels: args.maxLoadedModels,
      queueLimit: args.queueLimit,
      threads: args.threads,
      contextSize: args.ctxSize ?? args.contextSize,
      backend: args.backend,
      vramBudget: args.vramBudget,
      pinnedBudget: args.pinnedBudget,
      dualPath: args.dualPath,
      chatTemplate: args.chatTemplate,
      kvType: args.kvType,
      httpApiKey: args.httpApiKey,
      httpAllowedHosts: args.httpAllowedHosts,
      httpAllowedOrigins: args.httpAllowedOrigins,
      socketFrameTimeout: args.socketFrameTimeout,
      socketBufferLimit: args.socketBufferLimit,
      helperSocket: args.helperSocket,
    },
  };
}
