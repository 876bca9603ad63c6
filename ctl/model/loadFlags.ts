import type { Options } from "yargs";
import { NtError } from "../../protocol/NtError.js";
import { parseByteSize } from "../../protocol/parseByteSize.js";
import { CHAT_FORMAT_IDS, type ChatFormatId } from "../../protocol/verbs/chatFormats.js";
import { KV_TYPES, type LoadOptions } from "../../protocol/verbs/loadOptions.js";

type KvType = (typeof KV_TYPES)[number];

// ntctl's model-loading flags (of `load`, `run` and `chat`; `bench` shares the placement ones and --kv-type),
// and the one place their names meet the protocol's load options (loadOptionsOf).

/** The parsed load flags; each absent one is the daemon's default. */
export interface LoadArgs {
  /** Context size per sequence, in tokens (a model held with another is reloaded). Default: the model's as held, else the engine's. */
  ctxSize?: number;
  /** CPU threads (a model held with others is reloaded). Default: the model's as held, else the engine's. */
  threads?: number;
  /**
   * How long the daemon keeps the model loaded once idle: "10m", "30s", "1h", seconds, 0 (unload
   * when idle) or negative (never). Default: the model's current keep-alive, else the daemon's default.
   */
  keepAlive?: string;
  /** The backend, when the model is loaded by this command: "cuda", "cpu" or "auto". Default: the daemon's. */
  backend?: "auto" | "cpu" | "cuda";
  /** Device memory budget in bytes (parsed from "24GiB" and the like), when loaded by this command. Default: the daemon's. */
  vramBudget?: number;
  /** Pinned host memory budget in bytes, when loaded by this command. Default: the daemon's. */
  pinnedBudget?: number;
  /** Staging ring buffers (≥ 3), when loaded by this command. Default: the engine's, 3. */
  stagingSlots?: number;
  /** The dual path (tier D: the CPU computes some streamed layers), when loaded by this command. Default: the daemon's. */
  dualPath?: "auto" | "on" | "off";
  /** With the dual path: measure the calibration again instead of using the cached figures. */
  recalibrate?: boolean;
  /** The chat format instead of the detected one, when loaded by this command. Default: the daemon's, else detected. */
  chatTemplate?: ChatFormatId;
  /** The KV cache's storage type, when loaded by this command. Default: the daemon's. */
  kvType?: KvType;
}

/**
 * The protocol's load options from the parsed flags. The keep-alive is not among them: `run` and
 * `chat` send it with each generation instead (so "--keep-alive 0" does not unload the model
 * between the load and the generation).
 */
export function loadOptionsOf(argv: LoadArgs): LoadOptions {
  const { ctxSize, threads, backend, vramBudget, pinnedBudget, stagingSlots, dualPath, recalibrate, chatTemplate, kvType } = argv;
  return { nCtx: ctxSize, threads, backend, vramBudget, pinnedBudget, stagingSlots, dualPath, recalibrate, chatTemplate, kvType };
}

/**
 * A yargs coerce function for a size flag: "24GiB", "512MiB", "1.5GB" or bytes → bytes. A bad
 * size is a usage error (NT_E_BAD_REQUEST, exit 2) naming the flag. Repeating the flag keeps the last.
 */
function byteSizeOption(flag: string): (value: string | string[]) => number {
  return (value) => {
    const last = [value].flat().at(-1) ?? "";
    try {
      return parseByteSize(last, flag);
    } catch (err) {
      throw new NtError("NT_E_BAD_REQUEST", `${NtError.from(err).message} (see "ntctl --help")`);
    }
  };
}

/**
 * The yargs declarations of where a load puts the weights (backend, budgets, staging ring), for
 * the verbs that load: `load`, `run` and `chat` through the daemon (`when` says that a model held
 * with another value is reloaded) and `bench` in-process (`when` = "").
 */
export function placementOptions(when: string) {
  return {
    backend: {
      choices: ["auto", "cpu", "cuda"] as const,
      describe: `Backend: cuda, cpu, or auto = CUDA when usable (default: auto)${when}`,
    },
    "vram-budget": {
      type: "string", requiresArg: true, coerce: byteSizeOption("--vram-budget"),
      describe: `Device memory the model may take: "24GiB", "1.5GB", bytes (default: free memory less a margin)${when}`,
    },
    "pinned-budget": {
      type: "string", requiresArg: true, coerce: byteSizeOption("--pinned-budget"),
      describe: `Pinned host RAM for weights copied each pass and staging: "64GiB", bytes (default: the engine's)${when}`,
    },
    "staging-slots": {
      type: "number", requiresArg: true,
      describe: `Staging buffers between storage reads and device copies (>= 3; prefetch depth + 1; default 3)${when}`,
    },
    "dual-path": {
      choices: ["auto", "on", "off"] as const,
      describe: `The CPU computes some streamed layers from pinned RAM while the link copies the others${when}: ` +
        "auto = when the calibrated cost model predicts a faster pass (beside a GPU, for a model that streams), on, off (default: the daemon's, auto)",
    },
    recalibrate: {
      type: "boolean",
      describe: `With --dual-path: measure the CPU and the link again instead of using the figures cached for this machine${when}`,
    },
    "kv-type": {
      choices: KV_TYPES,
      describe: "KV cache storage: f32, f16 (half the memory) or q8_0 (heads a multiple of 32) " +
        `(default: ${when ? "the daemon's" : "f16"})${when}`,
    },
  } as const satisfies Record<string, Options>;
}

/**
 * The yargs declarations behind LoadArgs. Each one given that the model held does not have reloads
 * it (when idle; NT_E_BUSY while it has requests in flight); those left out accept what it has.
 */
export const loadOptions = {
  "ctx-size": {
    type: "number", alias: "c", requiresArg: true,
    describe: "Context size in tokens (default: the model's, at most 4096); a model loaded with another is reloaded",
  },
  threads: { type: "number", alias: "t", requiresArg: true, describe: "CPU threads (default: all); a model loaded with other threads is reloaded" },
  "keep-alive": {
    type: "string",
    describe: 'How long the model stays loaded once idle: "10m", "30s", "1h", seconds, 0 = unload when done, -1 = never (default: the daemon\'s, 5m)',
  },
  ...placementOptions("; a model loaded with another is reloaded"),
  "chat-template": {
    choices: CHAT_FORMAT_IDS,
    describe: "Chat format to use instead of the one detected from the model's template; a model loaded with another is reloaded (default: detected; ChatML when the model has none)",
  },
} as const satisfies Record<string, Options>;
