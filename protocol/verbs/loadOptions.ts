import { z } from "zod";
import { CHAT_FORMAT_IDS } from "./chatFormats.js";

/** The staging ring's least size: one buffer being read, one being copied, one being computed on (DESIGN §2). */
export const MIN_STAGING_SLOTS = 3;

/** The KV cache's storage types (cuda-engine/src/backend/kv_type.h). */
export const KV_TYPES = ["f32", "f16", "q8_0"] as const;

/** The engine's KV cache type when a load gives none (ModelOptions::kv_type in model/model.h). */
export const DEFAULT_KV_TYPE: (typeof KV_TYPES)[number] = "f16";

/** A byte budget on the wire: a non-negative integer that a double carries exactly. */
const budgetSchema = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The options that shape one load of a model: the one list of them, with their limits and
 * defaults. ntctl builds it from its flags, the daemon fills what is absent from its configuration
 * and passes it to the engine unchanged, and the engine's N-API layer converts it once
 * (cuda-engine/src/napi/load_model.cc). Every field is optional; an absent one takes the daemon's
 * configured default where it has one (contextSize, threads, backend, vramBudget, pinnedBudget,
 * chatTemplate),
 * else the engine's. `load`, `generate` and `chat` take them. A model already held is used as it
 * is when it has every option given (an absent option accepts what it has); otherwise it is
 * reloaded with the options given (keeping its others) when idle, and the request is refused with
 * NT_E_BUSY while the model has requests in flight.
 */
export const loadOptionsSchema = z.strictObject({
  /** Context size per sequence, in tokens. Default: the model's training context, at most 4096. */
  nCtx: z.int().positive().optional(),
  /** CPU threads of the forward pass. Default: one per hardware thread. */
  threads: z.int().positive().optional(),
  /**
   * "cuda", "cpu", or "auto" (CUDA when a usable GPU exists, else the CPU). "cuda" without a
   * usable GPU fails with NT_E_NO_DEVICE. Default "auto".
   */
  backend: z.enum(["auto", "cpu", "cuda"]).optional(),
  /**
   * Bytes of device memory the model may take (resident weights, KV cache, activations, the
   * slots streamed layers land in); on the CPU backend, a host region standing in for it.
   * Weights that do not fit are streamed each pass. Default: the device's free memory minus a margin.
   */
  vramBudget: budgetSchema.optional(),
  /**
   * Bytes of pinned host RAM for weights copied each pass and the staging ring. Default: the
   * engine's choice from physical RAM.
   */
  pinnedBudget: budgetSchema.optional(),
  /**
   * Pinned staging buffers between storage reads and device copies: prefetch depth + 1, at least
   * MIN_STAGING_SLOTS. Default MIN_STAGING_SLOTS.
   */
  stagingSlots: z.int().min(MIN_STAGING_SLOTS).optional(),
  /**
   * Positions of the KV cache pool every sequence of the model shares, in blocks of 16 taken as a
   * sequence grows and freed when it ends (each sequence still holds at most nCtx). Default: nCtx
   * × the sequences served at once, a full context each; less serves many short sequences in
   * less memory, and a request waits for blocks while the running ones hold them.
   */
  kvSize: z.int().positive().max(2 ** 31 - 1).optional(),
  /**
   * The dual path (tier D): the CPU computes some of the streamed layers from pinned RAM while the
   * link copies the others, so both DRAM→CPU and DRAM→PCIe work every pass. "auto": when the
   * calibrated cost model (measured at load, cached per machine) predicts a shorter pass for the
   * load's batch; "on": always at least one CPU layer; "off": never. Default "off".
   */
  dualPath: z.enum(["auto", "on", "off"]).optional(),
  /**
   * With the dual path: measure the calibration again and replace the figures cached for this
   * machine (after a hardware or BIOS change, or when they look wrong). Default false.
   */
  recalibrate: z.boolean().optional(),
  /**
   * The chat format `chat` and /v1/chat/completions use, by llama.cpp's name ("chatml",
   * "llama3", …), instead of the one detected from the file's tokenizer.chat_template. Default:
   * the detected one; ChatML for a model without a template (as llama-server does). The daemon's
   * alone: the engine is handed it with the rest and ignores it.
   */
  chatTemplate: z.enum(CHAT_FORMAT_IDS, { error: () => `unknown chat template; known: ${CHAT_FORMAT_IDS.join(", ")}` }).optional(),
  /**
   * How the KV cache stores keys and values, as llama.cpp's cache types: "f32", "f16" (half the
   * memory) or "q8_0" (about a quarter; heads must be a multiple of 32 values). Counted by the
   * planner; with the dual path the host pool of the CPU's layers has the same type. Default: the
   * daemon's configured kvType, else the engine's, "f16" (llama.cpp's default).
   */
  kvType: z.enum(KV_TYPES).optional(),
});

export type LoadOptions = z.infer<typeof loadOptionsSchema>;

/** The names of the load options, in the schema's order. */
export const LOAD_OPTION_KEYS = loadOptionsSchema.keyof().options;
