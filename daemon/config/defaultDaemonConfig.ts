import { DEFAULT_KV_TYPE } from "../../protocol/verbs/loadOptions.js";
import { FRAME_BUFFER_LIMIT } from "../FrameBufferBudget.js";
import type { DaemonConfig } from "./daemonConfigSchema.js";

/**
 * Every configuration key's default, in one place. The other sources (file, environment, flags)
 * override these key by key; daemon/config/README.md lists them all.
 */
export const DEFAULT_DAEMON_CONFIG: Readonly<DaemonConfig> = Object.freeze({
  /** /run/ntd is the RuntimeDirectory systemd creates for ntd.service (systemd/ntd.service). */
  socket: "/run/ntd/ntd.sock",
  /** 0660: the daemon's user and the socket group may connect, nobody else. */
  socketMode: 0o660,
  /** The group sysusers.d/ntd.conf creates; users join it to use ntctl. */
  socketGroup: "nt",
  logLevel: "info",
  /** "auto": readable on a terminal, journald's priority prefixes otherwise. */
  logFormat: "auto",
  /**
   * Off, as issue 4 asks ("off by default, --http PORT"): on by default, every second ntd on a
   * machine (tests, a user's own instance beside the service) would fail with EADDRINUSE. The
   * service's usual choice is "127.0.0.1:11435" (loopback: no authentication by default;
   * 11435: Ollama's 11434, plus one).
   */
  http: "",
  /** Ollama's default: a model idle for 5 minutes is unloaded. */
  keepAlive: "5m",
  /** Models this engine streams are usually larger than the GPU; a few at once is already plenty. */
  maxLoadedModels: 3,
  /** Ollama's OLLAMA_MAX_QUEUE default. */
  queueLimit: 512,
  threads: 0,
  contextSize: 0,
  /** CUDA where a usable GPU exists, else the CPU: a machine without a GPU still serves. */
  backend: "auto",
  /** The engine sizes both from the machine (free device memory less a margin; a share of RAM). */
  vramBudget: "auto",
  pinnedBudget: "auto",
  /** Off until the GPU bench shows that it wins (issue 13); then "auto". */
  dualPath: "auto",
  /** Each model's own template (ChatML for one without): a daemon-wide format would fit few models. */
  chatTemplate: "",
  /** The engine's default, as llama.cpp's: half the memory of F32 (the oracle tests compare both). */
  kvType: DEFAULT_KV_TYPE,
  /** None: the HTTP API listens on loopback by default, where every local user may reach ntd.sock anyway. */
  httpApiKey: "",
  /** None: loopback names and the listen address only. */
  httpAllowedHosts: [],
  /** None: no web page may call the API (requests without an Origin, from programs, are not affected). */
  httpAllowedOrigins: [],
  /** A 16 MiB frame crosses a Unix socket in milliseconds; 30 s only ends peers that stall mid-frame. */
  socketFrameTimeout: 30,
  /** FRAME_BUFFER_LIMIT (64 MiB): four frames of the largest size. */
  socketBufferLimit: FRAME_BUFFER_LIMIT,
  /** The path nt-nvme-helper.socket creates (as defaultHelperSocketPath, without its variable). */
  helperSocket: "/run/nt-nvme-helper/helper.sock",
});
